"""Per-collector figures of the team dashboard. Every figure is one grouped query over all the
collectors shown, so the number of queries does not grow with collectors or cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from collections_app.models import (
    Case,
    ContactAttempt,
    Outcome,
    Payment,
    PromiseStatus,
    PromiseToPay,
)
from collections_app.models.case import OPEN_CASE_STATUSES
from compliance.models import ComplianceDecision

from .common import DateRange, cases_for, collectors_for, ratio, target_share

ZERO = Decimal("0")
# A right-party contact: a conversation with the debtor in person (not a third party).
RPC_Q = Q(outcome=Outcome.CONVERSATION, person="debtor")


@dataclass
class CollectorFigures:
    collector: User
    capacity: int = 0
    active_cases: int = 0
    attempts_today: int = 0
    attempts_week: int = 0
    rpc_today: int = 0
    rpc_week: int = 0
    attempts: int = 0
    rpc: int = 0
    promises: int = 0
    promised_amount: Decimal = ZERO
    promises_kept: int = 0
    promises_broken: int = 0
    collected: Decimal = ZERO
    target: Decimal = ZERO
    blocks: int = 0
    flagged: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def load_pct(self) -> Decimal | None:
        return ratio(self.active_cases, self.capacity)

    @property
    def contact_rate(self) -> Decimal | None:
        return ratio(self.rpc, self.attempts)

    @property
    def promise_rate(self) -> Decimal | None:
        return ratio(self.promises, self.rpc)

    @property
    def kept_rate(self) -> Decimal | None:
        return ratio(self.promises_kept, self.promises_kept + self.promises_broken)

    @property
    def target_pct(self) -> Decimal | None:
        return ratio(self.collected, self.target)


def _week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


def payments_net() -> Sum:
    """Payments less reversals (a reversal is a positive row pointing at the original)."""
    return Coalesce(Sum("amount", filter=Q(reverses__isnull=True)), ZERO) - Coalesce(
        Sum("amount", filter=Q(reverses__isnull=False)), ZERO
    )


# The figures counted from the rows (the rest comes from the collector: capacity, target).
COUNTED = (
    "active_cases",
    "attempts_today",
    "attempts_week",
    "rpc_today",
    "rpc_week",
    "attempts",
    "rpc",
    "flagged",
    "promises",
    "promised_amount",
    "promises_kept",
    "promises_broken",
    "collected",
    "blocks",
)


def team_figures(
    *, user: User, period: DateRange, today: date, team_id: int | None = None
) -> list[CollectorFigures]:
    return team_figures_of(
        collectors=list(collectors_for(user, team_id=team_id)),
        cases=cases_for(user, team_id=team_id),
        period=period,
        today=today,
    )


def collector_rows(*, collectors: list[User], period: DateRange) -> list[CollectorFigures]:
    """One row per collector with the figures that come from the collector, none counted."""
    rows = []
    for c in collectors:
        rows.append(
            CollectorFigures(
                collector=c,
                capacity=c.team.case_capacity if c.team else 0,
                target=target_share(monthly_target=c.monthly_target, period=period),
            )
        )
    return rows


def team_figures_of(
    *, collectors: list[User], cases: QuerySet[Case], period: DateRange, today: date
) -> list[CollectorFigures]:
    """The figures of `collectors` over the range; active cases counted among `cases`."""
    rows = {r.collector.pk: r for r in collector_rows(collectors=collectors, period=period)}
    ids = list(rows)
    if not ids:
        return []

    for r in (
        cases.filter(assigned_to_id__in=ids, status__in=OPEN_CASE_STATUSES)
        .values("assigned_to_id")
        .annotate(n=Count("id"))
    ):
        rows[r["assigned_to_id"]].active_cases = r["n"]

    today_range = DateRange(start=today, end=today)
    week_range = DateRange(start=_week_start(today), end=today)
    earliest = min(period.start_at, week_range.start_at)
    latest = max(period.end_before, today_range.end_before)
    for r in (
        ContactAttempt.objects.filter(
            actor_id__in=ids, occurred_at__gte=earliest, occurred_at__lt=latest
        )
        .values("actor_id")
        .annotate(
            attempts=Count("id", filter=period.q("occurred_at")),
            rpc=Count("id", filter=period.q("occurred_at") & RPC_Q),
            attempts_today=Count("id", filter=today_range.q("occurred_at")),
            rpc_today=Count("id", filter=today_range.q("occurred_at") & RPC_Q),
            attempts_week=Count("id", filter=week_range.q("occurred_at")),
            rpc_week=Count("id", filter=week_range.q("occurred_at") & RPC_Q),
            flagged=Count("id", filter=period.q("occurred_at") & Q(flagged=True)),
        )
    ):
        row = rows[r.pop("actor_id")]
        for key, value in r.items():
            setattr(row, key, value)

    for r in (
        PromiseToPay.objects.filter(created_by_id__in=ids)
        .filter(period.q("created_at") | period.q_date("due_date"))
        .values("created_by_id")
        .annotate(
            promises=Count("id", filter=period.q("created_at")),
            promised_amount=Coalesce(Sum("amount", filter=period.q("created_at")), ZERO),
            promises_kept=Count(
                "id", filter=period.q_date("due_date") & Q(status=PromiseStatus.KEPT)
            ),
            promises_broken=Count(
                "id", filter=period.q_date("due_date") & Q(status=PromiseStatus.BROKEN)
            ),
        )
    ):
        row = rows[r.pop("created_by_id")]
        for key, value in r.items():
            setattr(row, key, value)

    # Collected: payments on the cases the collector holds now (payments come from feeds with
    # no recording user, so the holder of the case is the one credited).
    for r in (
        Payment.objects.filter(period.q("received_at"), case__assigned_to_id__in=ids)
        .values("case__assigned_to_id")
        .annotate(net=payments_net())
    ):
        rows[r["case__assigned_to_id"]].collected = r["net"]

    for r in (
        ComplianceDecision.objects.filter(period.q("created_at"), actor_id__in=ids, allowed=False)
        .values("actor_id")
        .annotate(n=Count("id"))
    ):
        rows[r["actor_id"]].blocks = r["n"]

    return list(rows.values())


def team_totals(rows: list[CollectorFigures]) -> CollectorFigures:
    total = CollectorFigures(collector=None)  # type: ignore[arg-type]
    for row in rows:
        for name in (*COUNTED, "capacity", "target"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return total
