"""The manager's approval queue: plans and settlements beyond a collector's authority, and
escalation requests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from collections_app.models import Case, CaseStatus, Payment, PlanStatus, RepaymentPlan
from manager.models import (
    AgencyPlacement,
    Arm,
    CaseStrategy,
    EscalationRequest,
    LegalAction,
    RequestStatus,
    Strategy,
)

# Cases still worked in-house; legal, agency, disputed and closed cases are not "due".
ESCALATABLE = (CaseStatus.NEW, CaseStatus.ACTIVE, CaseStatus.PROMISE_TO_PAY)


def plans_pending(*, user: User) -> QuerySet[RepaymentPlan]:
    return (
        RepaymentPlan.objects.visible_to(user)
        .filter(status=PlanStatus.PENDING_APPROVAL)
        .select_related("case__debtor", "case__assigned_to", "created_by")
        .prefetch_related("installments")
        .order_by("created_at", "id")
    )


def escalations_pending(*, user: User) -> QuerySet[EscalationRequest]:
    return (
        EscalationRequest.objects.visible_to(user)
        .filter(status=RequestStatus.PENDING)
        .select_related("case__debtor", "case__assigned_to", "requested_by")
        .order_by("requested_at", "id")
    )


def legal_actions(*, user: User) -> QuerySet[LegalAction]:
    return (
        LegalAction.objects.visible_to(user)
        .select_related("case__debtor", "opened_by")
        .prefetch_related("steps")
    )


def agency_placements(*, user: User) -> QuerySet[AgencyPlacement]:
    return AgencyPlacement.objects.visible_to(user).select_related("case__debtor", "agency")


def escalations_due(*, user: User, now: datetime, limit: int = 50) -> list[tuple[Case, Strategy]]:
    """Open cases whose strategy says to escalate after N days without a payment, past that
    mark (no payment for N days and the case open at least N days), not yet escalated or
    requested. One query per strategy in force (a handful), never one per case."""
    out: list[tuple[Case, Strategy]] = []
    assignments = (
        CaseStrategy.objects.filter(case__in=Case.objects.visible_to(user))
        .values_list("strategy_id", "arm")
        .distinct()
    )
    strategies = {s.pk: s for s in Strategy.objects.select_related("challenger")}
    for strategy_id, arm in assignments:
        champion = strategies[strategy_id]
        effective = (
            champion.challenger if arm == Arm.CHALLENGER and champion.challenger else champion
        )
        days = effective.escalate_after_days
        if not days or not effective.escalate_to:
            continue
        since = now - timedelta(days=days)
        cases = (
            Case.objects.visible_to(user)
            .filter(
                status__in=ESCALATABLE,
                strategy_assignment__strategy_id=strategy_id,
                strategy_assignment__arm=arm,
                opened_at__lt=since,
            )
            .exclude(Exists(Payment.objects.filter(case=OuterRef("pk"), received_at__gte=since)))
            .exclude(
                Exists(
                    EscalationRequest.objects.filter(
                        case=OuterRef("pk"), status=RequestStatus.PENDING
                    )
                )
            )
            .select_related("debtor", "assigned_to")
            .order_by("opened_at", "id")[:limit]
        )
        out.extend((case, effective) for case in cases)
    return out[:limit]
