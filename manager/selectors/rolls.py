"""Roll rates: from each bucket at one month end, how many debts rolled to a worse bucket,
stayed, or cured by the next month end. Debts of the user's visible cases.

A debt's bucket at a month end is the one of its last history row (simple-history's
`Debt.history`) dated before the end of that day. Debts created without history rows (bulk
seeds) have no past bucket and are left out.

Two ways to the same figures:

- live: one set-based query over the history of the visible debts (a history row holds until
  the next row of the same debt; a month end takes the row that holds at its end);
- snapshot: the MonthEndBucket rows built once per month end (`manager.services.snapshots`,
  nightly by Celery). They are read only when every month end shown has a snapshot and the
  history dated before each end still has the number of rows the snapshot was built from
  (history rows are only ever added, so a back-dated row changes that number). Otherwise the
  live query answers: a missing or stale snapshot never gives other figures than the history.

Who may see a debt is decided when reading, never stored: the snapshot holds every debt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import User
from collections_app.models import Bucket, Case, Debt
from manager.models import MonthEndBucket, MonthEndSnapshot

from .common import cases_for, ratio

BUCKETS = [b.value for b in Bucket]
BUCKET_RANK = {b: i for i, b in enumerate(BUCKETS)}


def month_ends(*, last_day: date, count: int) -> list[date]:
    """The last `count` month ends strictly before the month of `last_day`, oldest first."""
    ends = []
    day = last_day.replace(day=1) - timedelta(days=1)
    for _ in range(count):
        ends.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return list(reversed(ends))


def end_of(day: date) -> datetime:
    """The first instant after `day` (UTC)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass
class RollRow:
    month: date  # the month end the debts are counted at
    bucket: str
    debts: int
    rolled: int  # to a worse bucket by the next month end
    stayed: int
    cured: int  # to a better bucket

    @property
    def roll_rate(self) -> Decimal | None:
        return ratio(self.rolled, self.debts)

    @property
    def cure_rate(self) -> Decimal | None:
        return ratio(self.cured, self.debts)


@dataclass
class RollRates:
    rows: list[RollRow]
    # When the snapshots read were built (the oldest); None when computed now from the history.
    as_of: datetime | None


def _visible_debt_ids(cases: QuerySet[Case]) -> tuple[str, tuple[object, ...]]:
    """The SQL of the ids of the debts of `cases` (unordered: it is only matched against)."""
    visible = (
        Debt.objects.filter(Exists(cases.filter(debts=OuterRef("pk")))).order_by().values("id")
    )
    sql, params = visible.query.sql_with_params()
    return sql, tuple(params)


def _rows_from_counts(counts: list[tuple[date, str, str, int]]) -> list[RollRow]:
    """(month end, bucket then, bucket at the next month end, debts) to one row per month end
    and starting bucket, in month then bucket order."""
    rows: dict[tuple[date, str], RollRow] = {}
    for month, b_from, b_to, n in counts:
        row = rows.setdefault(
            (month, b_from),
            RollRow(month=month, bucket=b_from, debts=0, rolled=0, stayed=0, cured=0),
        )
        row.debts += n
        step = BUCKET_RANK[b_to] - BUCKET_RANK[b_from]
        if step > 0:
            row.rolled += n
        elif step == 0:
            row.stayed += n
        else:
            row.cured += n
    return sorted(rows.values(), key=lambda r: (r.month, BUCKET_RANK[r.bucket]))


def roll_counts_live(
    *, cases: QuerySet[Case], ends: list[date]
) -> list[tuple[date, str, str, int]]:
    """Debts by (month end, bucket, bucket at the next month end), from the history itself."""
    if len(ends) < 2:
        return []
    if connection.vendor != "postgresql":
        return _roll_counts_portable(cases=cases, ends=ends)
    history = Debt.history.model._meta.db_table
    visible_sql, visible_params = _visible_debt_ids(cases)
    # Rows of the same debt and instant are ordered by history_id, as the history's own
    # "latest" is: only the last of them has a later next_date.
    sql = f"""
        WITH ends AS (
            SELECT * FROM unnest(%s::date[], %s::timestamptz[]) WITH ORDINALITY
                AS e(month_end, until, n)
        ), h AS (
            SELECT h.id, h.bucket, h.history_date,
                   lead(h.history_date) OVER (
                       PARTITION BY h.id ORDER BY h.history_date, h.history_id
                   ) AS next_date
            FROM {history} h
            WHERE h.history_date < %s AND h.id IN ({visible_sql})
        ), at_end AS (
            SELECT e.n, e.month_end, h.id, h.bucket
            FROM h JOIN ends e
              ON h.history_date < e.until AND (h.next_date IS NULL OR h.next_date >= e.until)
        )
        SELECT a.month_end, a.bucket, b.bucket, count(*)
        FROM at_end a JOIN at_end b ON b.id = a.id AND b.n = a.n + 1
        WHERE a.bucket <> %s
        GROUP BY 1, 2, 3
    """  # noqa: S608 (table names from the models; values are parameters)
    params = (
        list(ends),
        [end_of(e) for e in ends],
        end_of(ends[-1]),
        *visible_params,
        Bucket.CURRENT.value,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _roll_counts_portable(
    *, cases: QuerySet[Case], ends: list[date]
) -> list[tuple[date, str, str, int]]:
    """`roll_counts_live` for databases without arrays and window clauses (the embedded
    SQLite default): the same rule, each debt's last history row before each month end,
    applied in Python to the visible debts' history."""
    visible = Debt.objects.filter(Exists(cases.filter(debts=OuterRef("pk")))).values("id")
    untils = [end_of(e) for e in ends]
    at_end: dict[int, list[str | None]] = {}
    rows = (
        Debt.history.filter(id__in=visible, history_date__lt=untils[-1])
        .order_by("id", "history_date", "history_id")
        .values_list("id", "bucket", "history_date")
    )
    for debt_id, bucket, when in rows:
        buckets = at_end.setdefault(debt_id, [None] * len(ends))
        for n, until in enumerate(untils):
            if when < until:
                buckets[n] = bucket  # rows come in order: the last before `until` wins
    counts: dict[tuple[date, str, str], int] = {}
    for buckets in at_end.values():
        for n in range(len(ends) - 1):
            b_from, b_to = buckets[n], buckets[n + 1]
            if b_from is None or b_to is None or b_from == Bucket.CURRENT.value:
                continue
            key = (ends[n], b_from, b_to)
            counts[key] = counts.get(key, 0) + 1
    return [(*key, n) for key, n in counts.items()]


def roll_counts_from_snapshots(
    *, cases: QuerySet[Case], ends: list[date]
) -> list[tuple[date, str, str, int]]:
    """The same counts as `roll_counts_live`, from the month-end snapshots (which must be
    complete and current for every end: see `snapshots_current`)."""
    if len(ends) < 2:
        return []
    if connection.vendor != "postgresql":
        visible = Debt.objects.filter(Exists(cases.filter(debts=OuterRef("pk")))).values("id")
        at: dict[tuple[int, date], str] = {
            (debt_id, month_end): bucket
            for debt_id, month_end, bucket in MonthEndBucket.objects.filter(
                month_end__in=ends, debt_id__in=visible
            ).values_list("debt_id", "month_end", "bucket")
        }
        counts: dict[tuple[date, str, str], int] = {}
        for (debt_id, month_end), b_from in at.items():
            if month_end == ends[-1] or b_from == Bucket.CURRENT.value:
                continue
            b_to = at.get((debt_id, ends[ends.index(month_end) + 1]))
            if b_to is not None:
                key = (month_end, b_from, b_to)
                counts[key] = counts.get(key, 0) + 1
        return [(*key, n) for key, n in counts.items()]
    table = MonthEndBucket._meta.db_table
    visible_sql, visible_params = _visible_debt_ids(cases)
    sql = f"""
        WITH pairs AS (
            SELECT * FROM unnest(%s::date[], %s::date[]) AS p(start, stop)
        )
        SELECT a.month_end, a.bucket, b.bucket, count(*)
        FROM {table} a
        JOIN pairs p ON p.start = a.month_end
        JOIN {table} b ON b.debt_id = a.debt_id AND b.month_end = p.stop
        WHERE a.bucket <> %s AND a.debt_id IN ({visible_sql})
        GROUP BY 1, 2, 3
    """  # noqa: S608 (table names from the models; values are parameters)
    params = (ends[:-1], ends[1:], Bucket.CURRENT.value, *visible_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def history_rows_before(ends: list[date]) -> dict[date, int]:
    """How many debt history rows are dated before the end of each day, in one query."""
    if not ends:
        return {}
    counts = Debt.history.model.objects.filter(history_date__lt=end_of(max(ends))).aggregate(
        **{
            f"e{i}": Count("history_date", filter=Q(history_date__lt=end_of(e)))
            for i, e in enumerate(ends)
        }
    )
    return {e: counts[f"e{i}"] for i, e in enumerate(ends)}


def snapshots_current(ends: list[date]) -> dict[date, MonthEndSnapshot]:
    """The snapshots of `ends` that are built and still agree with the history."""
    built = {
        s.month_end: s
        for s in MonthEndSnapshot.objects.filter(month_end__in=ends, built_at__isnull=False)
    }
    if not built:
        return {}
    counts = history_rows_before(list(built))
    return {e: s for e, s in built.items() if s.history_rows == counts[e]}


def roll_rates_report(
    *, user: User, last_day: date, months: int = 6, team_id: int | None = None
) -> RollRates:
    return roll_rates_report_of(
        cases=cases_for(user, team_id=team_id), last_day=last_day, months=months
    )


def roll_rates_report_of(*, cases: QuerySet[Case], last_day: date, months: int = 6) -> RollRates:
    """For each pair of consecutive month ends: from each bucket (but current), how many
    debts rolled to a worse bucket, stayed, or cured; from the snapshots when they are all
    current, else from the history."""
    ends = month_ends(last_day=last_day, count=months)
    current = snapshots_current(ends)
    if len(ends) >= 2 and len(current) == len(ends):
        counts = roll_counts_from_snapshots(cases=cases, ends=ends)
        as_of = min(s.built_at for s in current.values() if s.built_at)
        return RollRates(rows=_rows_from_counts(counts), as_of=as_of)
    counts = roll_counts_live(cases=cases, ends=ends)
    return RollRates(rows=_rows_from_counts(counts), as_of=None)


def roll_rates(
    *, user: User, last_day: date, months: int = 6, team_id: int | None = None
) -> list[RollRow]:
    return roll_rates_report(user=user, last_day=last_day, months=months, team_id=team_id).rows
