"""Writing the new state of many rows at once, with their history rows.

Django's `bulk_update` builds a `CASE WHEN id = ... THEN ...` expression per row and field:
for a batch of a hundred reminders that is thousands of expression objects and a statement
PostgreSQL has to plan anew each time, most of a send task's CPU. On PostgreSQL the values go
instead as one array per column into `UPDATE ... FROM unnest(...)`, and the history rows are
copied from the updated rows by the database (`exchange.services.bulk.history_copy`, the
import's pattern). Elsewhere (the embedded SQLite runtime) the ORM's `bulk_update_with_history`
does the same work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from django.db import connection, models
from simple_history.utils import bulk_update_with_history

from exchange.services.bulk import history_copy


def _array_type(field: models.Field) -> tuple[str, str]:
    """(type of the array parameter, cast of its elements to the column's type)."""
    db_type = field.db_type(connection) or "text"
    if isinstance(field, models.JSONField):
        return "text[]", f"::{db_type}"
    if isinstance(field, models.ForeignKey):
        return f"{field.target_field.rel_db_type(connection)}[]", ""
    return f"{db_type}[]", ""


def _column_value(field: models.Field, obj: models.Model) -> object:
    value = getattr(obj, field.attname)
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value, cls=field.encoder)
    return field.get_db_prep_save(value, connection)


def rows_update(model: type[models.Model], objs: Sequence[models.Model], fields: list[str]) -> None:
    """Write `fields` of every object in `objs` (each with its own values) in one statement."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields)
        return
    meta = model._meta
    q = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    selects = [f"unnest(%s::{meta.pk.db_type(connection)}[])"]
    params: list[object] = [[obj.pk for obj in objs]]
    sets = []
    for i, field in enumerate(columns):
        array_type, cast = _array_type(field)
        selects.append(f"unnest(%s::{array_type})")
        params.append([_column_value(field, obj) for obj in objs])
        sets.append(f"{q(field.column)} = v.c{i}{cast}")
    names = ", ".join(["id", *(f"c{i}" for i in range(len(columns)))])
    # Identifiers come from model metadata, quoted; every value is a parameter.
    sql = (
        f"UPDATE {q(meta.db_table)} AS t SET {', '.join(sets)} "  # noqa: S608
        f"FROM (SELECT {', '.join(selects)}) AS v({names}) WHERE t.{q(meta.pk.column)} = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rows_update_with_history(
    model: type[models.Model], objs: Sequence[models.Model], fields: list[str], *, now: datetime
) -> None:
    """`rows_update`, then one "changed" history row per object (no user: the system)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        bulk_update_with_history(objs, model, fields, default_date=now)
        return
    rows_update(model, objs, fields)
    history_copy(model, [obj.pk for obj in objs], actor_id=None, now=now, kind="~")
