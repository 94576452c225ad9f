"""Secondary indexes set aside while a large COPY seed writes, and built again afterwards.

Keeping a dozen indexes per table up to date row by row is what slows a million-case seed
down as it grows: the attempts and decisions are indexed by time, contact point and actor, so
every chunk inserts into random pages of every index, and once the indexes outgrow the buffer
cache each row costs page reads, writes and full-page WAL images. Building an index once from
sorted data at the end is many times cheaper. Only non-unique indexes are set aside: primary
keys and unique indexes stay, so every uniqueness rule is checked while the rows are written.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

from django.db import connection

from .rows import MODELS

# Memory for each index build's sort, and parallel build processes (PostgreSQL 11+).
BUILD_SETTINGS = ("SET maintenance_work_mem = '256MB'", "SET max_parallel_maintenance_workers = 2")


def expected_indexes() -> dict[str, str]:
    """Name -> CREATE INDEX statement of every index the models give the seeded tables besides
    their primary keys and unique constraints, as the migrations created them."""
    statements: dict[str, str] = {}
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for model in MODELS.values():
            for statement in editor._model_indexes_sql(model):
                statements[str(statement.parts["name"]).strip('"')] = str(statement)
    return statements


def existing_indexes() -> set[str]:
    """Names of the indexes of the seeded tables that are neither unique nor back a
    constraint."""
    tables = sorted({model._meta.db_table for model in MODELS.values()})
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ic.relname
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_class tc ON tc.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = tc.relnamespace
            WHERE n.nspname = current_schema()
              AND tc.relname = ANY(%s)
              AND NOT i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [tables],
        )
        return {name for (name,) in cursor.fetchall()}


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def indexes_set_aside() -> Iterator[dict[str, str]]:
    """Drop the secondary indexes of the seeded tables for the duration of the block and build
    them again on the way out, also when the block fails or the process is told to stop
    (SIGTERM, as `timeout` sends: it becomes SystemExit so that the indexes are rebuilt)."""
    definitions = expected_indexes()
    # A seed stopped the hard way (SIGKILL) left some out: they come back first.
    indexes_build(definitions)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name in sorted(existing_indexes() & set(definitions)):
            cursor.execute(f"DROP INDEX {qn(name)}")
    previous = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, _terminate)
    try:
        yield definitions
    finally:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, previous)
        indexes_build(definitions)


def indexes_build(definitions: dict[str, str]) -> None:
    """Create the indexes of `definitions` that do not exist (again)."""
    missing = set(definitions) - existing_indexes()
    if not missing:
        return
    with connection.cursor() as cursor:
        for sql in BUILD_SETTINGS:
            cursor.execute(sql)
        try:
            for name in sorted(missing):
                cursor.execute(definitions[name])
        finally:
            cursor.execute("RESET maintenance_work_mem")
            cursor.execute("RESET max_parallel_maintenance_workers")
