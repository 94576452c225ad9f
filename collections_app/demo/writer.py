"""Writing a chunk of rows: the ORM's bulk_create (any database, with history rows for the
main records) or PostgreSQL COPY (millions of rows in minutes, no history)."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
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


NULL = r"\N"
_JSON = DjangoJSONEncoder(ensure_ascii=False)
# A column's converter to its CSV text, or None when the value is written as it is.
Converter = Callable[[Any], Any] | None


def _nullable(value: Any) -> Any:
    return NULL if value is None else value


def _boolean(value: bool | None) -> str:
    return NULL if value is None else "t" if value else "f"


def _iso(value: date | None) -> str:
    return NULL if value is None else value.isoformat()


def _decimal(value: Decimal | None) -> str:
    return NULL if value is None else str(value)


def _json(value: Any) -> str:
    if value is None:
        return NULL
    return "[]" if value == [] else _JSON.encode(value)


def _encrypted(field: EncryptedTextField) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return NULL if value is None else field.get_prep_value(value)

    return convert


def _converter(field: models.Field) -> Converter:
    """How one column's values become CSV text, chosen once per column (not per value)."""
    if isinstance(field, EncryptedTextField):
        return _encrypted(field)
    if isinstance(field, models.BooleanField):
        return _boolean
    if isinstance(field, models.DateField):  # DateTimeField too
        return _iso
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, models.DecimalField):
        return _decimal
    return _nullable if field.null else None


@dataclass(frozen=True)
class _Plan:
    sql: str
    columns: tuple[tuple[str, Converter], ...]
    defaults: dict[str, Any]


class CopyWriter:
    """PostgreSQL COPY from an in-memory CSV buffer per table and chunk.

    Foreign keys are checked by PostgreSQL with one trigger per row and key, queued until the
    commit; on a large seed those checks cost as much as the COPY itself. A superuser session
    therefore writes in `session_replication_role = replica`, which skips them: every key the
    generator writes points at a row of the same chunk (ids handed out by `IdAllocator`) or at
    the demo staff read before the seed. The tests check every foreign key of a COPY seed.
    Without superuser rights the checks run as usual.
    """

    def __init__(self) -> None:
        self._plans: dict[str, _Plan] = {}
        self._skip_key_checks: bool | None = None

    def _plan(self, label: str) -> _Plan:
        if label not in self._plans:
            model = MODELS[label]
            fields = [
                f for f in model._meta.concrete_fields if not (label in THROUGH and f.primary_key)
            ]
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            table = connection.ops.quote_name(model._meta.db_table)
            self._plans[label] = _Plan(
                sql=f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                columns=tuple((f.attname, _converter(f)) for f in fields),
                defaults={f.attname: f.get_default() for f in fields},
            )
        return self._plans[label]

    @staticmethod
    def csv_text(plan: _Plan, data: list[dict[str, Any]]) -> io.StringIO:
        buf = io.StringIO()
        out = csv.writer(buf)
        columns = plan.columns
        for row in data:
            if len(row) < len(columns):
                row = {**plan.defaults, **row}
            out.writerow([row[a] if c is None else c(row[a]) for a, c in columns])
        buf.seek(0)
        return buf

    def write(self, rows: Rows) -> None:
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg2 cursor: copy_expert is not on Django's wrapper
            if self._skip_key_checks is None:
                cursor.execute("SELECT current_setting('is_superuser') = 'on'")
                self._skip_key_checks = bool(cursor.fetchone()[0])
            if self._skip_key_checks:
                cursor.execute("SET LOCAL session_replication_role = replica")
            try:
                for label in MODELS:
                    data = rows.tables.get(label)
                    if data:
                        plan = self._plan(label)
                        raw.copy_expert(plan.sql, self.csv_text(plan, data))
            finally:
                if self._skip_key_checks:
                    cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    def finish(self) -> None:
        """Move every sequence past the ids written explicitly."""
        statements = connection.ops.sequence_reset_sql(no_style(), list(MODELS.values()))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
