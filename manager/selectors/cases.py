"""The filtered case list behind every figure of the dashboard (drill-down)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from collections_app.models import (
    Case,
    ContactAttempt,
    Debt,
    Payment,
    PromiseStatus,
    PromiseToPay,
    Reminder,
)
from collections_app.models.case import OPEN_CASE_STATUSES
from collections_app.models.debt import OPEN_DEBT_STATUSES
from compliance.models import ComplianceDecision

from .common import DateRange, cases_for
from .team import RPC_Q, ZERO

# The figures a list can be drilled into; each names the cases "behind" the figure.
METRICS = (
    "active",
    "attempts",
    "rpc",
    "promises",
    "kept",
    "broken",
    "collected",
    "blocked",
    "flagged",
    "reminders",
)


@dataclass(frozen=True)
class CaseFilters:
    collector: int | None = None
    unassigned: bool = False
    status: str = ""  # a status, "open", or "" for any
    bucket: str = ""
    product: str = ""
    segment: str = ""
    strategy: int | None = None
    arm: str = ""
    metric: str = ""
    reminder_status: str = ""
    held_days: int | None = None
    search: str = ""


def _actor_q(filters: CaseFilters, field: str) -> Q:
    return Q(**{field: filters.collector}) if filters.collector else Q()


def case_list(
    *, user: User, filters: CaseFilters, period: DateRange, team_id: int | None = None
) -> QuerySet[Case]:
    qs = cases_for(user, team_id=team_id)
    f = filters
    if f.unassigned:
        qs = qs.filter(assigned_to__isnull=True)
    elif f.collector and f.metric not in (
        "attempts",
        "rpc",
        "promises",
        "kept",
        "broken",
        "blocked",
        "flagged",
    ):
        qs = qs.filter(assigned_to_id=f.collector)
    if f.status == "open" or f.metric == "active":
        qs = qs.filter(status__in=OPEN_CASE_STATUSES)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.bucket:
        qs = qs.filter(
            Exists(
                Debt.objects.filter(
                    cases=OuterRef("pk"), bucket=f.bucket, status__in=OPEN_DEBT_STATUSES
                )
            )
        )
    if f.product:
        qs = qs.filter(Exists(Debt.objects.filter(cases=OuterRef("pk"), product=f.product)))
    if f.segment:
        qs = qs.filter(debtor__segment=f.segment)
    if f.strategy:
        qs = qs.filter(strategy_assignment__strategy_id=f.strategy)
    if f.arm:
        qs = qs.filter(strategy_assignment__arm=f.arm)
    if f.search:
        term = f.search.strip()
        q = Q(debtor__full_name__icontains=term)
        if term.isdigit():
            q |= Q(pk=int(term))
        qs = qs.filter(q)
    if f.held_days is not None:
        from datetime import timedelta

        qs = qs.filter(assigned_at__lt=period.end_before - timedelta(days=f.held_days))

    attempts = ContactAttempt.objects.filter(period.q("occurred_at"), case=OuterRef("pk"))
    promises_made = PromiseToPay.objects.filter(period.q("created_at"), case=OuterRef("pk"))
    promises_due = PromiseToPay.objects.filter(period.q_date("due_date"), case=OuterRef("pk"))
    m = f.metric
    if m == "attempts":
        qs = qs.filter(Exists(attempts.filter(_actor_q(f, "actor_id"))))
    elif m == "rpc":
        qs = qs.filter(Exists(attempts.filter(RPC_Q, _actor_q(f, "actor_id"))))
    elif m == "flagged":
        qs = qs.filter(Exists(attempts.filter(_actor_q(f, "actor_id"), flagged=True)))
    elif m == "promises":
        qs = qs.filter(Exists(promises_made.filter(_actor_q(f, "created_by_id"))))
    elif m == "kept":
        qs = qs.filter(
            Exists(promises_due.filter(_actor_q(f, "created_by_id"), status=PromiseStatus.KEPT))
        )
    elif m == "broken":
        qs = qs.filter(
            Exists(promises_due.filter(_actor_q(f, "created_by_id"), status=PromiseStatus.BROKEN))
        )
    elif m == "collected":
        qs = qs.filter(Exists(Payment.objects.filter(period.q("received_at"), case=OuterRef("pk"))))
    elif m == "blocked":
        # Blocked decisions are about a debtor, not a case: the debtor's cases are behind them.
        qs = qs.filter(
            Exists(
                ComplianceDecision.objects.filter(
                    period.q("created_at"),
                    _actor_q(f, "actor_id"),
                    debtor=OuterRef("debtor_id"),
                    allowed=False,
                )
            )
        )
    elif m == "reminders":
        rem = Reminder.objects.filter(period.q("due_at"), case=OuterRef("pk"))
        if f.reminder_status:
            rem = rem.filter(status=f.reminder_status)
        qs = qs.filter(Exists(rem))
    return qs


def case_rows(qs: QuerySet[Case]) -> QuerySet[Case]:
    """What the list shows per case, in one query: debtor, assignee, open balance, worst
    bucket (bucket codes sort in delinquency order: M0 < M1 < ... < M6 < M6+)."""
    open_debts = Debt.objects.filter(cases=OuterRef("pk"), status__in=OPEN_DEBT_STATUSES)
    balance = open_debts.values("cases").annotate(s=Sum("balance")).values("s")[:1]
    worst = open_debts.values("cases").annotate(b=Max("bucket")).values("b")[:1]
    return (
        qs.select_related("debtor", "assigned_to", "team")
        .annotate(open_balance=Coalesce(Subquery(balance), ZERO), worst_bucket=Subquery(worst))
        .order_by("-priority", "id")
    )
