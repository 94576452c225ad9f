"""The transparent scorecard: each factor gives risk points, the points add up to the risk
score, the score gives the segment, the segment gives the strategy. Higher = riskier.

Recomputed nightly (`manager.tasks.scores_recompute`) in chunks: one annotated query per chunk
of debtors, bulk writes, no query per debtor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_app.models import (
    ContactAttempt,
    ContactPoint,
    Debt,
    Debtor,
    Payment,
    PromiseStatus,
    PromiseToPay,
)
from collections_app.models.case import OPEN_CASE_STATUSES, Case
from collections_app.models.debt import OPEN_DEBT_STATUSES
from manager.models import Arm, CaseStrategy, DebtorScore, Segment, Strategy

# (upper bound inclusive, points); the last bound is None = beyond.
DPD_POINTS = [(30, 0), (60, 50), (90, 100), (180, 175), (None, 250)]
BALANCE_POINTS = [
    (Decimal("999.99"), 0),
    (Decimal("4999.99"), 40),
    (Decimal("19999.99"), 80),
    (None, 120),
]
PAID_RECENTLY, PAID_BEFORE, NEVER_PAID = 0, 60, 120
PER_BROKEN_PROMISE, MAX_BROKEN_POINTS = 40, 160
RPC_RECENTLY, REACHABLE, UNREACHABLE = 0, 60, 150
CAPACITY_UNKNOWN, CAPACITY_NONE, CAPACITY_LOW, CAPACITY_SOME, CAPACITY_GOOD = 60, 150, 100, 50, 0
SEGMENT_BOUNDS = [(199, Segment.LOW), (399, Segment.MEDIUM), (599, Segment.HIGH)]

FACTOR_LABELS = {
    "days_past_due": _("Days past due"),
    "balance": _("Open balance"),
    "payment_history": _("Payment history"),
    "broken_promises": _("Broken promises (180 days)"),
    "contactability": _("Contactability"),
    "capacity": _("Capacity to pay (income - expenses)"),
}


def _banded(value: Decimal | int, bands: list[tuple[object, int]]) -> int:
    for bound, points in bands:
        if bound is None or value <= bound:  # type: ignore[operator]
            return points
    return bands[-1][1]


@dataclass(frozen=True)
class ScoreInputs:
    max_dpd: int
    balance: Decimal
    last_payment_at: datetime | None
    broken_promises: int
    rpc_recently: bool
    reachable: bool
    income: Decimal | None
    expenses: Decimal | None


def score_factors(*, inputs: ScoreInputs, now: datetime) -> list[dict[str, object]]:
    """Pure: the points of each factor, with the value that earned them."""
    i = inputs
    if i.last_payment_at is None:
        paid = NEVER_PAID
    elif i.last_payment_at >= now - timedelta(days=90):
        paid = PAID_RECENTLY
    else:
        paid = PAID_BEFORE
    if i.rpc_recently:
        contact = RPC_RECENTLY
    elif i.reachable:
        contact = REACHABLE
    else:
        contact = UNREACHABLE
    if i.income is None or i.expenses is None:
        disposable = None
        capacity = CAPACITY_UNKNOWN
    else:
        disposable = i.income - i.expenses
        if disposable <= 0:
            capacity = CAPACITY_NONE
        elif disposable < 200:
            capacity = CAPACITY_LOW
        elif disposable < 500:
            capacity = CAPACITY_SOME
        else:
            capacity = CAPACITY_GOOD
    return [
        {
            "factor": "days_past_due",
            "value": str(i.max_dpd),
            "points": _banded(i.max_dpd, DPD_POINTS),
        },
        {
            "factor": "balance",
            "value": str(i.balance),
            "points": _banded(i.balance, BALANCE_POINTS),
        },
        {
            "factor": "payment_history",
            "value": i.last_payment_at.date().isoformat() if i.last_payment_at else "",
            "points": paid,
        },
        {
            "factor": "broken_promises",
            "value": str(i.broken_promises),
            "points": min(i.broken_promises * PER_BROKEN_PROMISE, MAX_BROKEN_POINTS),
        },
        {
            "factor": "contactability",
            "value": "rpc" if i.rpc_recently else ("reachable" if i.reachable else "none"),
            "points": contact,
        },
        {
            "factor": "capacity",
            "value": "" if disposable is None else str(disposable),
            "points": capacity,
        },
    ]


def segment_for(total: int) -> str:
    for bound, segment in SEGMENT_BOUNDS:
        if total <= bound:
            return segment
    return Segment.SEVERE


def challenger_bucket(case_id: int) -> int:
    """A stable 0-99 bucket per case: the same case always lands in the same arm."""
    digest = hashlib.sha256(f"case:{case_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 100


def arm_for(*, case_id: int, strategy: Strategy) -> str:
    if strategy.challenger_id and challenger_bucket(case_id) < strategy.challenger_pct:
        return Arm.CHALLENGER
    return Arm.CHAMPION


def _annotated(now: datetime, today: date):  # type: ignore[no-untyped-def]
    open_debts = Debt.objects.filter(debtor=OuterRef("pk"), status__in=OPEN_DEBT_STATUSES)
    return Debtor.objects.annotate(
        max_dpd=Coalesce(
            Subquery(open_debts.values("debtor").annotate(m=Max("days_past_due")).values("m")[:1]),
            0,
        ),
        open_balance=Coalesce(
            Subquery(open_debts.values("debtor").annotate(s=Sum("balance")).values("s")[:1]),
            Decimal(0),
        ),
        last_payment_at=Subquery(
            Payment.objects.filter(debt__debtor=OuterRef("pk"), reverses__isnull=True)
            .order_by("-received_at")
            .values("received_at")[:1]
        ),
        broken=Coalesce(
            Subquery(
                PromiseToPay.objects.filter(
                    case__debtor=OuterRef("pk"),
                    status=PromiseStatus.BROKEN,
                    due_date__gte=today - timedelta(days=180),
                )
                .values("case__debtor")
                .annotate(n=Count("id"))
                .values("n")[:1]
            ),
            0,
        ),
        rpc_recently=Exists(
            ContactAttempt.objects.filter(
                debtor=OuterRef("pk"),
                outcome="conversation",
                person="debtor",
                occurred_at__gte=now - timedelta(days=30),
            )
        ),
        reachable=Exists(
            ContactPoint.objects.filter(debtor=OuterRef("pk"), owner="debtor", wrong_number=False)
        ),
    )


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def scores_recompute(*, now: datetime | None = None, chunk_size: int = 2000) -> int:
    """Score every debtor with an open case; set Debtor.risk_score/segment, the scorecard,
    and the strategy and arm of each open case. Returns the number of debtors scored."""
    now = now or timezone.now()
    today = now.date()
    strategies = {s.segment: s for s in Strategy.objects.filter(active=True).exclude(segment="")}
    ids = list(
        Debtor.objects.filter(
            Exists(Case.objects.filter(debtor=OuterRef("pk"), status__in=OPEN_CASE_STATUSES))
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    for chunk in _chunks(ids, chunk_size):
        debtors = list(_annotated(now, today).filter(pk__in=chunk))
        scores = []
        for d in debtors:
            factors = score_factors(
                inputs=ScoreInputs(
                    max_dpd=d.max_dpd,
                    balance=d.open_balance,
                    last_payment_at=d.last_payment_at,
                    broken_promises=d.broken,
                    rpc_recently=d.rpc_recently,
                    reachable=d.reachable,
                    income=d.monthly_income,
                    expenses=d.monthly_expenses,
                ),
                now=now,
            )
            total = sum(int(f["points"]) for f in factors)  # type: ignore[call-overload]
            d.risk_score = total
            d.segment = segment_for(total)
            scores.append(
                DebtorScore(
                    debtor=d, total=total, segment=d.segment, factors=factors, computed_at=now
                )
            )
        segment_of = {d.pk: d.segment for d in debtors}
        assignments = []
        for case_id, debtor_id in Case.objects.filter(
            debtor_id__in=chunk, status__in=OPEN_CASE_STATUSES
        ).values_list("id", "debtor_id"):
            strategy = strategies.get(segment_of.get(debtor_id, ""))
            if strategy is not None:
                assignments.append(
                    CaseStrategy(
                        case_id=case_id,
                        strategy=strategy,
                        arm=arm_for(case_id=case_id, strategy=strategy),
                        assigned_at=now,
                    )
                )
        with transaction.atomic():
            # bulk_update skips simple-history on purpose: a nightly score is not an edit.
            Debtor.objects.bulk_update(debtors, ["risk_score", "segment"])
            DebtorScore.objects.bulk_create(
                scores,
                update_conflicts=True,
                unique_fields=["debtor"],
                update_fields=["total", "segment", "factors", "computed_at"],
            )
            CaseStrategy.objects.bulk_create(
                assignments,
                update_conflicts=True,
                unique_fields=["case"],
                update_fields=["strategy", "arm", "assigned_at"],
            )
    return len(ids)


def strategy_for_case(*, case_id: int) -> tuple[Strategy, str] | None:
    """The strategy in force for a case and its arm (the challenger's when so assigned)."""
    row = (
        CaseStrategy.objects.select_related("strategy__challenger").filter(case_id=case_id).first()
    )
    if row is None:
        return None
    if row.arm == Arm.CHALLENGER and row.strategy.challenger is not None:
        return row.strategy.challenger, row.arm
    return row.strategy, row.arm
