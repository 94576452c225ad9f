"""Portfolio figures: buckets, roll rates (`rolls`), recovery curves, reminder outcomes,
strategies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth

from accounts.models import User
from collections_app.models import Case, Debt, Outcome, Payment, PromiseToPay, Reminder
from collections_app.models.case import OPEN_CASE_STATUSES
from collections_app.models.debt import OPEN_DEBT_STATUSES
from manager.models import CaseStrategy

from .common import DateRange, cases_for, ratio
from .rolls import BUCKETS, end_of
from .team import ZERO, payments_net


@dataclass
class BucketRow:
    bucket: str
    cases: int = 0
    debts: int = 0
    balance: Decimal = ZERO


def buckets(*, user: User, team_id: int | None = None) -> list[BucketRow]:
    return buckets_of(cases=cases_for(user, team_id=team_id))


def buckets_of(*, cases: QuerySet[Case]) -> list[BucketRow]:
    """Open cases and open balance by delinquency bucket. A case counts in each bucket one of
    its debts is in; the balance is each open debt's, once."""
    open_cases = cases.filter(status__in=OPEN_CASE_STATUSES)
    rows = {b: BucketRow(bucket=b) for b in BUCKETS}
    for r in (
        open_cases.filter(debts__status__in=OPEN_DEBT_STATUSES)
        .values("debts__bucket")
        .annotate(n=Count("id", distinct=True))
    ):
        rows[r["debts__bucket"]].cases = r["n"]
    in_open_case = open_cases.filter(debts=OuterRef("pk"))
    for r in (
        Debt.objects.filter(Exists(in_open_case), status__in=OPEN_DEBT_STATUSES)
        .values("bucket")
        .annotate(n=Count("id"), balance=Sum("balance"))
    ):
        rows[r["bucket"]].debts = r["n"]
        rows[r["bucket"]].balance = r["balance"] or ZERO
    return list(rows.values())


def unassigned_count(*, user: User, team_id: int | None = None) -> int:
    return (
        cases_for(user, team_id=team_id)
        .filter(status__in=OPEN_CASE_STATUSES, assigned_to__isnull=True)
        .count()
    )


@dataclass
class RecoveryCurve:
    placed_month: date
    placed_principal: Decimal
    cumulative: list[Decimal]  # collected by the end of month k after placement (k = 0..)

    @property
    def cumulative_pct(self) -> list[Decimal | None]:
        return [ratio(v, self.placed_principal) for v in self.cumulative]


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _placed_and_paid(
    *, cases: QuerySet[Case], since: datetime, until: datetime
) -> list[tuple[str, date, date | None, Decimal]]:
    """("placed", placement month, None, principal) and ("paid", placement month, payment
    month, payments less reversals) rows, in one query over the visible debts placed in the
    range."""
    placed = (
        Debt.objects.filter(
            Exists(cases.filter(debts=OuterRef("pk"))),
            placed_at__gte=since,
            placed_at__lt=until,
        )
        .annotate(pm=TruncMonth("placed_at"))
        .order_by()
        .values("id", "pm", "principal")
    )
    if connection.vendor != "postgresql":
        return _placed_and_paid_portable(placed=placed, until=until)
    placed_sql, placed_params = placed.query.sql_with_params()
    payments = Payment._meta.db_table
    # Not materialised: the planner then reaches the payments' debts through a hash join
    # instead of writing out every visible debt first (measured faster on 100,000 cases).
    sql = f"""
        WITH v AS NOT MATERIALIZED ({placed_sql})
        SELECT 'placed', v.pm, NULL, sum(v.principal) FROM v GROUP BY v.pm
        UNION ALL
        SELECT 'paid', v.pm, date_trunc('month', p.received_at AT TIME ZONE 'UTC'),
               coalesce(sum(p.amount) FILTER (WHERE p.reverses_id IS NULL), 0)
               - coalesce(sum(p.amount) FILTER (WHERE p.reverses_id IS NOT NULL), 0)
        FROM v JOIN {payments} p ON p.debt_id = v.id
        WHERE p.received_at < %s
        GROUP BY 2, 3
    """  # noqa: S608 (table names from the models; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, (*placed_params, until))
        return [
            (kind, _as_date(pm), _as_date(rm) if rm is not None else None, amount)
            for kind, pm, rm, amount in cursor.fetchall()
        ]


def _placed_and_paid_portable(
    *, placed: QuerySet[Debt], until: datetime
) -> list[tuple[str, date, date | None, Decimal]]:
    """`_placed_and_paid` through the ORM, for the embedded SQLite default."""
    out: list[tuple[str, date, date | None, Decimal]] = [
        ("placed", _as_date(r["pm"]), None, r["total"] or ZERO)
        for r in placed.values("pm").annotate(total=Sum("principal")).order_by()
    ]
    paid = (
        Payment.objects.filter(debt__in=placed.values("id"), received_at__lt=until)
        .annotate(
            pm=TruncMonth("debt__placed_at", tzinfo=UTC),
            rm=TruncMonth("received_at", tzinfo=UTC),
        )
        .values("pm", "rm")
        .annotate(
            plus=Sum("amount", filter=Q(reverses__isnull=True)),
            minus=Sum("amount", filter=Q(reverses__isnull=False)),
        )
        .order_by()
    )
    out.extend(
        ("paid", _as_date(r["pm"]), _as_date(r["rm"]), (r["plus"] or ZERO) - (r["minus"] or ZERO))
        for r in paid
    )
    return out


def recovery_curves(
    *, user: User, last_day: date, months: int = 12, team_id: int | None = None
) -> list[RecoveryCurve]:
    return recovery_curves_of(
        cases=cases_for(user, team_id=team_id), last_day=last_day, months=months
    )


def recovery_curves_of(
    *, cases: QuerySet[Case], last_day: date, months: int = 12
) -> list[RecoveryCurve]:
    """Payments cumulated by months since the debt was placed, per placement month, as a share
    of the principal placed that month."""
    first = last_day.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    until = end_of(last_day)
    placed: dict[date, Decimal] = {}
    paid: dict[date, dict[int, Decimal]] = {}
    for kind, pm, rm, amount in _placed_and_paid(cases=cases, since=since, until=until):
        if kind == "placed":
            placed[pm] = amount or ZERO
            paid.setdefault(pm, {})
        else:
            k = max(_months_between(pm, rm), 0)
            paid.setdefault(pm, {})[k] = paid.get(pm, {}).get(k, ZERO) + amount
    curves = []
    for month in sorted(placed):
        horizon = _months_between(month, last_day)
        running = ZERO
        cumulative = []
        for k in range(horizon + 1):
            running += paid.get(month, {}).get(k, ZERO)
            cumulative.append(running)
        curves.append(
            RecoveryCurve(placed_month=month, placed_principal=placed[month], cumulative=cumulative)
        )
    return curves


def reminder_outcomes(
    *, user: User, period: DateRange, team_id: int | None = None
) -> dict[str, int]:
    """Reminders due in the range, by status."""
    cases = cases_for(user, team_id=team_id)
    counts = {
        r["status"]: r["n"]
        for r in Reminder.objects.filter(period.q("due_at"), case__in=cases)
        .values("status")
        .annotate(n=Count("id"))
    }
    return dict(sorted(counts.items()))


@dataclass
class ArmRow:
    strategy_id: int
    strategy: str
    arm: str
    cases: int = 0
    attempts: int = 0
    rpc: int = 0
    promises: int = 0
    collected: Decimal = ZERO

    @property
    def contact_rate(self) -> Decimal | None:
        return ratio(self.rpc, self.attempts)

    @property
    def collected_per_case(self) -> Decimal | None:
        if not self.cases:
            return None
        return (self.collected / self.cases).quantize(Decimal("0.01"))


def strategy_comparison(
    *, user: User, period: DateRange, team_id: int | None = None
) -> list[ArmRow]:
    """Champion against challenger for each strategy: the same figures for both arms."""
    cases = cases_for(user, team_id=team_id)
    rows: dict[tuple[int, str], ArmRow] = {}
    for r in (
        CaseStrategy.objects.filter(case__in=cases)
        .values("strategy_id", "strategy__name", "arm")
        .annotate(n=Count("id"))
        .order_by("strategy__name", "arm")
    ):
        rows[(r["strategy_id"], r["arm"])] = ArmRow(
            strategy_id=r["strategy_id"], strategy=r["strategy__name"], arm=r["arm"], cases=r["n"]
        )
    if not rows:
        return []
    key_s, key_a = "case__strategy_assignment__strategy_id", "case__strategy_assignment__arm"
    from collections_app.models import ContactAttempt

    for r in (
        ContactAttempt.objects.filter(period.q("occurred_at"), case__in=cases)
        .exclude(**{f"{key_s}__isnull": True})
        .values(key_s, key_a)
        .annotate(
            n=Count("id"),
            rpc=Count("id", filter=Q(outcome=Outcome.CONVERSATION, person="debtor")),
        )
    ):
        row = rows.get((r[key_s], r[key_a]))
        if row:
            row.attempts, row.rpc = r["n"], r["rpc"]
    for r in (
        PromiseToPay.objects.filter(period.q("created_at"), case__in=cases)
        .exclude(**{f"{key_s}__isnull": True})
        .values(key_s, key_a)
        .annotate(n=Count("id"))
    ):
        row = rows.get((r[key_s], r[key_a]))
        if row:
            row.promises = r["n"]
    for r in (
        Payment.objects.filter(period.q("received_at"), case__in=cases)
        .exclude(**{f"{key_s}__isnull": True})
        .values(key_s, key_a)
        .annotate(net=Coalesce(payments_net(), ZERO))
    ):
        row = rows.get((r[key_s], r[key_a]))
        if row:
            row.collected = r["net"]
    return list(rows.values())
