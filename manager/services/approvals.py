"""Four-eyes approval of repayment plans and settlements beyond a collector's authority.

The plan services belong to the case workspace (`collections_app.services.plans`); this module
adds the manager's rules around them: only a plan of the manager's teams, never one the
manager proposed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import PlanStatus, RepaymentPlan


def _pending_plan(*, plan_id: int, actor: User) -> RepaymentPlan:
    if not (actor.is_manager or actor.is_admin_role):
        raise PermissionDenied(_("Only a manager can decide plans."))
    plan = RepaymentPlan.objects.visible_to(actor).filter(pk=plan_id).first()
    if plan is None:
        raise PermissionDenied(_("This plan is not in your teams."))
    if plan.created_by_id == actor.pk:
        raise PermissionDenied(_("You cannot approve your own request."))
    if plan.status != PlanStatus.PENDING_APPROVAL:
        raise ValidationError(_("This plan is not waiting for approval."))
    return plan


def plan_decide(*, plan_id: int, actor: User, approve: bool, reason: str) -> RepaymentPlan:
    from collections_app.services import plans

    _pending_plan(plan_id=plan_id, actor=actor)
    if approve:
        return plans.plan_approve(plan_id=plan_id, actor=actor, reason=reason)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the plan is rejected.")})
    return plans.plan_reject(plan_id=plan_id, actor=actor, reason=reason)
