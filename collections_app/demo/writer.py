"""Writing a chunk of rows: the ORM's bulk_create (any database, with history rows for the
main records) or PostgreSQL COPY (millions of rows in minutes, no history)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from simple_history.utils import bulk_create_with_history

from collections_app.fields import EncryptedTextField

from .rows import MODELS, THROUGH, WITH_HISTORY, Rows

BATCH = 500
HISTORY_DATE = {
    "debtor": "created_at",
    "contact_point": "created_at",
    "debt": "placed_at",
    "case": "opened_at",
}


@contextlib.contextmanager
def given_timestamps() -> Iterator[None]:
    """Keep the timestamps the generator chose (a case opened weeks ago) instead of letting
    auto_now / auto_now_add stamp every row with the time of the seed. Only for the seed
    command's own bulk inserts; restored on exit."""
    changed: list[tuple[models.Field, bool, bool]] = []
    for model in MODELS.values():
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                changed.append((f, f.auto_now, f.auto_now_add))  # type: ignore[attr-defined]
                f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in changed:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]


class OrmWriter:
    def __init__(self, *, with_history: bool = True) -> None:
        self.with_history = with_history

    def write(self, rows: Rows) -> None:
        with given_timestamps():
            for label, model in MODELS.items():
                data = rows.tables.get(label)
                if not data:
                    continue
                objs = [model(**row) for row in data]
                if self.with_history and label in WITH_HISTORY:
                    for obj, row in zip(objs, data, strict=True):
                        obj._history_date = row[HISTORY_DATE[label]]  # type: ignore[attr-defined]
                    bulk_create_with_history(objs, model, batch_size=BATCH)
                else:
                    model.objects.bulk_create(objs, batch_size=BATCH)

    def finish(self) -> None:
        """SQLite moves its AUTOINCREMENT counters past explicit ids by itself."""


def _csv_value(value: Any) -> Any:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, Decimal):
        return str(value)
    return value


class CopyWriter:
    """PostgreSQL COPY from an in-memory CSV buffer per table and chunk."""

    def __init__(self) -> None:
        self._plans: dict[str, tuple[str, list[str], list[tuple[str, Any, bool]]]] = {}

    def _plan(self, label: str) -> tuple[str, list[str], list[tuple[str, Any, bool]]]:
        if label not in self._plans:
            model = MODELS[label]
            fields = [
                f for f in model._meta.concrete_fields if not (label in THROUGH and f.primary_key)
            ]
            columns = [connection.ops.quote_name(f.column) for f in fields]
            spec = [(f.attname, f, isinstance(f, EncryptedTextField)) for f in fields]
            self._plans[label] = (connection.ops.quote_name(model._meta.db_table), columns, spec)
        return self._plans[label]

    def write(self, rows: Rows) -> None:
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg2 cursor: copy_expert is not on Django's wrapper
            for label in MODELS:
                data = rows.tables.get(label)
                if not data:
                    continue
                table, columns, spec = self._plan(label)
                buf = io.StringIO()
                out = csv.writer(buf)
                for row in data:
                    values = []
                    for attname, f, encrypted in spec:
                        value = row[attname] if attname in row else f.get_default()
                        if encrypted:
                            value = f.get_prep_value(value)
                        values.append(_csv_value(value))
                    out.writerow(values)
                buf.seek(0)
                raw.copy_expert(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                    buf,
                )

    def finish(self) -> None:
        """Move every sequence past the ids written explicitly."""
        statements = connection.ops.sequence_reset_sql(no_style(), list(MODELS.values()))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
