"""The four-eyes queue: plans and settlements beyond authority, escalation requests."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import role_required
from collections_app.models import PlanStatus, RepaymentPlan
from manager import selectors
from manager.forms import DecisionForm, EscalationDecisionForm
from manager.models import EscalationRequest, RequestStatus
from manager.services.approvals import plan_decide
from manager.services.escalation import escalation_approve, escalation_reject

from .common import error_text


def _explain(plan: RepaymentPlan) -> None:
    """What puts the plan beyond its author's authority: the discount share and the length."""
    from collections_app.services.plans import plan_length_months

    installments = list(plan.installments.all())
    balance = plan.total_amount + plan.discount_amount
    plan.discount_pct = (  # type: ignore[attr-defined]
        (plan.discount_amount * 100 / balance).quantize(Decimal("0.1")) if balance else None
    )
    plan.months = plan_length_months([(i.due_date, i.amount) for i in installments])  # type: ignore[attr-defined]
    author = plan.created_by
    plan.discount_beyond = bool(  # type: ignore[attr-defined]
        author and plan.discount_pct is not None and plan.discount_pct > author.max_discount_pct  # type: ignore[attr-defined]
    )
    plan.months_beyond = bool(author and plan.months > author.max_plan_months)  # type: ignore[attr-defined]


@role_required("manager", "admin")
def approvals(request: HttpRequest) -> HttpResponse:
    plans = list(selectors.plans_pending(user=request.user))
    for plan in plans:
        _explain(plan)
    return render(
        request,
        "manager/approvals.html",
        {
            "plans": plans,
            "escalations": selectors.escalations_pending(user=request.user),
            "due": selectors.escalations_due(user=request.user, now=timezone.now()),
            "decision_form": DecisionForm(),
            "escalation_form": EscalationDecisionForm(),
        },
    )


@require_POST
@role_required("manager", "admin")
def plan_decide_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(
        RepaymentPlan.objects.visible_to(request.user).filter(status=PlanStatus.PENDING_APPROVAL),
        pk=plan_id,
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect("manager:approvals")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        plan_decide(
            plan_id=plan.pk, actor=request.user, approve=approve, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, PermissionDenied) as exc:
        text = error_text(exc) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    else:
        messages.success(
            request,
            (_("Plan %(id)d approved.") if approve else _("Plan %(id)d rejected."))
            % {"id": plan.pk},
        )
    return redirect("manager:approvals")


@require_POST
@role_required("manager", "admin")
def escalation_decide_view(request: HttpRequest, request_id: int) -> HttpResponse:
    esc = get_object_or_404(
        EscalationRequest.objects.visible_to(request.user).filter(status=RequestStatus.PENDING),
        pk=request_id,
    )
    form = EscalationDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect("manager:approvals")
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            escalation_approve(
                request_id=esc.pk,
                actor=request.user,
                reason=data["reason"],
                agency_id=data["agency"].pk if data.get("agency") else None,
                placed_on=data.get("placed_on"),
                recall_on=data.get("recall_on"),
                commission_pct=data.get("commission_pct"),
            )
            messages.success(
                request, _("Escalation approved; case %(id)d moved.") % {"id": esc.case_id}
            )
        else:
            escalation_reject(request_id=esc.pk, actor=request.user, reason=data["reason"])
            messages.success(request, _("Escalation rejected."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("manager:approvals")
