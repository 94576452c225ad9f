"""Month-end bucket snapshots: each debt's bucket at the end of a past month, written once so
that the roll rates read them instead of searching the history on every page.

Built nightly by Celery (`manager.tasks.month_end_snapshots_refresh`, which also builds the
month that has just ended) and by `manage.py month_end_snapshots_backfill` for the months
before. A build is idempotent: it replaces the month's rows in one transaction. A snapshot
whose history has changed since (a back-dated row, an import of old history) is built again
by the next refresh; until then the roll rates compute that month from the history.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from collections_app.models import Debt
from manager.models import MonthEndBucket, MonthEndSnapshot
from manager.selectors.rolls import end_of, month_ends, snapshots_current

logger = logging.getLogger(__name__)


def month_end_snapshot_build(*, month_end: date, now: datetime | None = None) -> MonthEndSnapshot:
    """Write every debt's bucket at the end of `month_end` from its history."""
    now = now or timezone.now()
    until = end_of(month_end)
    if until > now:
        raise ValueError(f"{month_end} is not over yet")
    snapshot, _ = MonthEndSnapshot.objects.get_or_create(month_end=month_end)
    history = Debt.history.model._meta.db_table
    table = MonthEndBucket._meta.db_table
    debts = Debt._meta.db_table
    # One statement reads the history once: the rows written and the count kept to tell later
    # whether the history has changed come from the same view of it.
    sql = f"""
        WITH h AS MATERIALIZED (
            SELECT id, bucket, history_date, history_id FROM {history} WHERE history_date < %s
        ), ins AS (
            INSERT INTO {table} (month_end, debt_id, bucket)
            SELECT DISTINCT ON (h.id) %s, h.id, h.bucket FROM h
            WHERE EXISTS (SELECT 1 FROM {debts} d WHERE d.id = h.id)
            ORDER BY h.id, h.history_date DESC, h.history_id DESC
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM h), (SELECT count(*) FROM ins)
    """  # noqa: S608 (table names from the models; values are parameters)
    with transaction.atomic():
        # The row lock makes two builds of the same month wait for each other.
        snapshot = MonthEndSnapshot.objects.select_for_update().get(pk=snapshot.pk)
        MonthEndBucket.objects.filter(month_end=month_end).delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(sql, [until, month_end])
                history_rows, written = cursor.fetchone()
        else:
            history_rows, written = _build_portable(month_end=month_end, until=until)
        snapshot.built_at = timezone.now()
        snapshot.history_rows = history_rows
        snapshot.debts = written
        snapshot.save(update_fields=["built_at", "history_rows", "debts"])
    logger.info("month-end snapshot %s: %d debts", month_end, written)
    return snapshot


def _build_portable(*, month_end: date, until: datetime) -> tuple[int, int]:
    """The same build for the embedded SQLite default (its transaction holds the database's
    write lock, so the count and the rows come from the same view of the history)."""
    before = Debt.history.filter(history_date__lt=until)
    last: dict[int, str] = {}
    for debt_id, bucket in (
        before.filter(id__in=Debt.objects.values("id"))
        .order_by("id", "history_date", "history_id")
        .values_list("id", "bucket")
    ):
        last[debt_id] = bucket  # in order: the latest row before the month end wins
    MonthEndBucket.objects.bulk_create(
        [MonthEndBucket(month_end=month_end, debt_id=d, bucket=b) for d, b in last.items()],
        batch_size=1000,
    )
    return before.count(), len(last)


def month_end_snapshots_refresh(*, months: int = 13, now: datetime | None = None) -> list[date]:
    """Build the snapshots of the last `months` month ends that are missing or no longer agree
    with the history. Returns the month ends built."""
    now = now or timezone.now()
    ends = month_ends(last_day=now.date(), count=months)
    current = snapshots_current(ends)
    built = []
    for month_end in ends:
        if month_end not in current:
            month_end_snapshot_build(month_end=month_end, now=now)
            built.append(month_end)
    return built
