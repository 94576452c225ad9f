"""The manager's approval queue: plans and settlements beyond a collector's authority, and
escalation requests."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from collections_app.models import PlanStatus, RepaymentPlan
from manager.models import AgencyPlacement, EscalationRequest, LegalAction, RequestStatus


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
