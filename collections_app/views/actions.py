"""The case page's action panels: each parses a form, calls one service, and answers with
the case page (or, for htmx, the form again with its errors)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collections_app import forms as f
from collections_app.models import Case, FollowUp
from collections_app.models.money import PlanStatus
from collections_app.selectors import case_get_for_user
from collections_app.services.follow_ups import follow_up_complete, follow_up_schedule
from collections_app.services.notes import note_create
from collections_app.services.plans import plan_create, plan_propose
from collections_app.services.promises import promise_create

from .case import render_case_page
from .common import acting_user, action_done, collector_page, errors_onto_form


def _writable_case(request: HttpRequest, case_id: int) -> Case:
    return case_get_for_user(user=acting_user(request), case_id=case_id, for_write=True)


def _invalid(
    request: HttpRequest, *, case: Case, name: str, form: Form, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """htmx: the panel's form again, with its errors; a plain post: the whole page, 400."""
    if getattr(request, "htmx", False):
        context = {"case": case, name: form, **(extra or {})}
        return render(request, f"collections_app/forms/_{name}.html", context)
    return render_case_page(
        request, case_id=case.pk, bound={name: form, **(extra or {})}, status=400
    )


def _handle(
    request: HttpRequest,
    case_id: int,
    *,
    name: str,
    form_factory: Callable[[Case], Form],
    perform: Callable[[Case, dict[str, Any]], Any],
    message: Callable[[Any], str] | str,
) -> HttpResponse:
    case = _writable_case(request, case_id)
    form = form_factory(case)
    if form.is_valid():
        try:
            result = perform(case, form.cleaned_data)
        except ValidationError as exc:
            errors_onto_form(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not do this."))
        else:
            text = message(result) if callable(message) else message
            return action_done(request, case_id=case.pk, message=text)
    return _invalid(request, case=case, name=name, form=form)


@require_POST
@collector_page
def promise_add(request: HttpRequest, case_id: int) -> HttpResponse:
    return _handle(
        request,
        case_id,
        name="promise_form",
        form_factory=lambda case: f.PromiseForm(request.POST, case=case),
        perform=lambda case, d: promise_create(
            case_id=case.pk,
            actor=acting_user(request),
            amount=d["amount"],
            due_date=d["due_date"],
            debt_id=d["debt"].pk if d["debt"] else None,
        ),
        message=_("Promise to pay recorded."),
    )


@require_POST
@collector_page
def plan_builder(request: HttpRequest, case_id: int) -> HttpResponse:
    """Propose installments from the debtor's capacity; the collector adjusts and saves."""
    case = _writable_case(request, case_id)
    form = f.PlanProposeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case=case, name="plan_propose_form", form=form)
    discount = form.cleaned_data["discount_amount"] or Decimal("0")
    try:
        proposal = plan_propose(
            case_id=case.pk,
            start_date=form.cleaned_data["start_date"],
            frequency=form.cleaned_data["frequency"],
            installment_count=form.cleaned_data["installment_count"],
            discount_amount=discount,
        )
    except ValidationError as exc:
        errors_onto_form(form, exc)
        return _invalid(request, case=case, name="plan_propose_form", form=form)
    formset = f.InstallmentFormSet(
        initial=[{"due_date": d, "amount": a} for d, a in proposal.installments], prefix="inst"
    )
    plan_form = f.PlanForm(initial={"frequency": proposal.frequency, "discount_amount": discount})
    return _plan_page(request, case=case, plan_form=plan_form, formset=formset, proposal=proposal)


def _plan_page(
    request: HttpRequest,
    *,
    case: Case,
    plan_form: Form,
    formset: Any,
    proposal: Any = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "case": case,
        "plan_form": plan_form,
        "formset": formset,
        "proposal": proposal,
        "authority": acting_user(request),
    }
    if getattr(request, "htmx", False):
        return render(request, "collections_app/forms/_plan_builder.html", context)
    return render(request, "collections_app/plan.html", context, status=status)


@require_POST
@collector_page
def plan_save(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _writable_case(request, case_id)
    plan_form = f.PlanForm(request.POST)
    formset = f.InstallmentFormSet(request.POST, prefix="inst")
    if plan_form.is_valid() and formset.is_valid():
        rows = [
            (row["due_date"], row["amount"])
            for row in formset.cleaned_data
            if row and not row.get("DELETE")
        ]
        try:
            plan = plan_create(
                case_id=case.pk,
                actor=acting_user(request),
                installments=rows,
                frequency=plan_form.cleaned_data["frequency"],
                discount_amount=plan_form.cleaned_data["discount_amount"] or Decimal("0"),
            )
        except ValidationError as exc:
            errors_onto_form(plan_form, exc)
        else:
            if plan.status == PlanStatus.PENDING_APPROVAL:
                text = _("The plan is beyond your authority and was sent for approval.")
            else:
                text = _("Repayment plan saved and active.")
            return action_done(request, case_id=case.pk, message=text)
    return _plan_page(request, case=case, plan_form=plan_form, formset=formset, status=400)


@require_POST
@collector_page
def payment_add(request: HttpRequest, case_id: int) -> HttpResponse:
    def perform(case: Case, d: dict[str, Any]) -> Any:
        from collections_app.services.payments import payment_record

        return payment_record(
            case_id=case.pk,
            debt_id=d["debt"].pk,
            amount=d["amount"],
            received_at=d["received_at"],
            actor=acting_user(request),
            method=d["method"] or "",
            external_reference=d["external_reference"] or None,
            source="manual",
        )

    return _handle(
        request,
        case_id,
        name="payment_form",
        form_factory=lambda case: f.PaymentForm(request.POST, case=case),
        perform=perform,
        message=_("Payment recorded."),
    )


@require_POST
@collector_page
def note_add(request: HttpRequest, case_id: int) -> HttpResponse:
    return _handle(
        request,
        case_id,
        name="note_form",
        form_factory=lambda case: f.NoteForm(request.POST),
        perform=lambda case, d: note_create(
            case_id=case.pk,
            author=acting_user(request),
            body=d["body"],
        ),
        message=_("Note added."),
    )


@require_POST
@collector_page
def follow_up_add(request: HttpRequest, case_id: int) -> HttpResponse:
    return _handle(
        request,
        case_id,
        name="follow_up_form",
        form_factory=lambda case: f.FollowUpForm(request.POST),
        perform=lambda case, d: follow_up_schedule(
            case_id=case.pk,
            actor=acting_user(request),
            due_at=d["due_at"],
            reason=d["reason"],
        ),
        message=_("Follow-up scheduled."),
    )


@require_POST
@collector_page
def follow_up_done(request: HttpRequest, case_id: int, follow_up_id: int) -> HttpResponse:
    case = _writable_case(request, case_id)
    follow_up = get_object_or_404(FollowUp.objects.filter(case=case), pk=follow_up_id)
    follow_up_complete(follow_up_id=follow_up.pk, actor=acting_user(request))
    return action_done(request, case_id=case.pk, message=_("Follow-up done."))


@require_POST
@collector_page
def restriction_add(request: HttpRequest, case_id: int) -> HttpResponse:
    def perform(case: Case, d: dict[str, Any]) -> Any:
        from compliance.services.restrictions import restriction_record

        return restriction_record(
            debtor=case.debtor,
            kind=d["kind"],
            actor=acting_user(request),
            effective_at=d["effective_at"],
            ends_at=d["ends_at"],
            channel=d["channel"] or "",
            contact_point=d["contact_point"],
            debts=list(d["debts"]),
            source_document=d["source_document"],
            notes=d["notes"],
        )

    return _handle(
        request,
        case_id,
        name="restriction_form",
        form_factory=lambda case: f.RestrictionForm(request.POST, case=case),
        perform=perform,
        message=_("Restriction recorded. The gate applies it from now on."),
    )


@require_POST
@collector_page
def consent_add(request: HttpRequest, case_id: int) -> HttpResponse:
    def perform(case: Case, d: dict[str, Any]) -> Any:
        from compliance.services.restrictions import consent_record

        return consent_record(
            debtor=case.debtor,
            kind=d["kind"],
            actor=acting_user(request),
            given_at=d["given_at"],
            expires_at=d["expires_at"],
            contact_point=d["contact_point"],
        )

    return _handle(
        request,
        case_id,
        name="consent_form",
        form_factory=lambda case: f.ConsentForm(request.POST, case=case),
        perform=perform,
        message=_("Consent recorded."),
    )


@require_POST
@collector_page
def escalation_add(request: HttpRequest, case_id: int) -> HttpResponse:
    def perform(case: Case, d: dict[str, Any]) -> Any:
        from manager.services.escalation import escalation_request

        return escalation_request(
            case_id=case.pk, kind=d["kind"], actor=acting_user(request), reason=d["reason"]
        )

    return _handle(
        request,
        case_id,
        name="escalation_form",
        form_factory=lambda case: f.EscalationForm(request.POST),
        perform=perform,
        message=_("Escalation requested; a manager will decide."),
    )


@require_POST
@collector_page
def status_change(request: HttpRequest, case_id: int) -> HttpResponse:
    from collections_app.services.case_status import case_status_change

    return _handle(
        request,
        case_id,
        name="status_form",
        form_factory=lambda case: f.StatusForm(
            request.POST,
            case=case,
            can_escalate=not acting_user(request).is_collector,
        ),
        perform=lambda case, d: case_status_change(
            case_id=case.pk,
            to_status=d["to_status"],
            actor=acting_user(request),
            reason=d["reason"],
        ),
        message=_("Case status changed."),
    )
