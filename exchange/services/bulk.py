"""Fast inserts for large files, with their history rows.

On PostgreSQL the ids are taken from the table's sequence in one query, the rows go in through
COPY (no model instances, no per-field ORM preparation, no SQL to parse per row), and their
"created" history rows are copied by the database itself (INSERT INTO historical table
SELECT ... FROM table WHERE id = ANY(ids)).
Elsewhere (the embedded SQLite runtime) the ORM's bulk_create_with_history does the same work.
"""

from __future__ import annotations

import enum
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from collections_app.fields import EncryptedTextField

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    kind = type(value)
    # Exact types first (most cells): an enum, a bool or a date is never exactly one of these.
    if kind is str:
        return value.translate(_ESCAPES)
    if kind is int or kind is Decimal:
        return str(value)
    if value is None:
        return "\\N"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def _converters(model: type[models.Model]) -> list[tuple[models.Field, Any]]:
    out = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if isinstance(field, models.JSONField):
            out.append((field, json.dumps))
        elif isinstance(field, EncryptedTextField):
            out.append((field, field.get_prep_value))
        else:
            out.append((field, None))
    return out


def rows_insert(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    actor: User | None,
    now: datetime,
    history: bool = True,
) -> list[int]:
    """Insert `rows` (attname -> value; missing fields take their defaults); the new ids in
    the order of `rows`."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        if history:
            bulk_create_with_history(objs, model, default_user=actor, default_date=now)
        else:
            model._default_manager.bulk_create(objs)
        return [o.pk for o in objs]
    fields = _converters(model)
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f, _c in fields)
    # A field missing from a row takes its default, the same for every row: its text is
    # written once (unless converted: encryption must give each row its own ciphertext).
    plan: list[tuple[str, Any, Any, str | None]] = []
    for field, convert in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default = now
        else:
            # As the ORM does: the declared default, "" for blank text, else None.
            default = field.get_default()
        text = _copy_text(default) if convert is None or default is None else None
        plan.append((field.attname, convert, default, text))
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [r[0] for r in cursor.fetchall()]
        buffer = io.StringIO()
        for pk, row in zip(ids, rows, strict=True):
            cells = [str(pk)]
            for name, convert, default, default_text in plan:
                if name not in row:
                    if default_text is not None:
                        cells.append(default_text)
                        continue
                    value = default
                else:
                    value = row[name]
                if convert is not None and value is not None:
                    value = convert(value)
                cells.append(_copy_text(value))
            buffer.write("\t".join(cells))
            buffer.write("\n")
        buffer.seek(0)
        # Identifiers come from model metadata, quoted; the data travels as COPY text.
        cursor.cursor.copy_expert(f"COPY {q(table)} (id, {columns}) FROM STDIN", buffer)
    if history:
        history_copy(model, ids, actor_id=actor.pk if actor else None, now=now, kind="+")
    return ids


def history_copy(
    model: type[models.Model],
    ids: list[int],
    *,
    actor_id: int | None,
    now: datetime,
    kind: str,
    reason: str | None = None,
) -> None:
    """The rows' current state into their historical table, in one statement."""
    if not ids:
        return
    historical = model.history.model  # type: ignore[attr-defined]
    q = connection.ops.quote_name
    columns = [
        f.column for f in historical._meta.concrete_fields if not f.name.startswith("history_")
    ]
    cols = ", ".join(q(c) for c in columns)
    into = q(historical._meta.db_table)
    extra = "history_date, history_change_reason, history_type, history_user_id"
    source = q(model._meta.db_table)
    # Identifiers come from model metadata, quoted; every value is a parameter.
    sql = f"INSERT INTO {into} ({cols}, {extra}) SELECT {cols}, %s, %s, %s, %s FROM {source}"  # noqa: S608
    sql += " WHERE id = ANY(%s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, reason, kind, actor_id, ids])
