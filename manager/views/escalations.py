"""Legal actions and agency placements: the list, and one case's escalation page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import role_required
from collections_app.models import Case
from manager import selectors
from manager.forms import (
    AgencyPlacementForm,
    ComplaintForm,
    LegalOpenForm,
    LegalStepForm,
    RecallForm,
)
from manager.models import AgencyPlacement, LegalAction
from manager.services import escalation as svc
from manager.services.complaints import complaint_record

from .common import error_text


@role_required("manager", "admin")
def escalations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "manager/escalations.html",
        {
            "legal_actions": selectors.legal_actions(user=request.user).filter(
                closed_at__isnull=True
            ),
            "placements": selectors.agency_placements(user=request.user),
        },
    )


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_object_or_404(
        Case.objects.visible_to(request.user).select_related("debtor", "assigned_to"), pk=case_id
    )


def _case_collectors(request: HttpRequest, case: Case):  # type: ignore[no-untyped-def]
    return selectors.collectors_for(request.user, team_id=case.team_id)


@role_required("manager", "admin")
def case_escalation(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    return render(
        request,
        "manager/case_escalation.html",
        {
            "case": case,
            "legal_actions": selectors.legal_actions(user=request.user).filter(case=case),
            "placements": selectors.agency_placements(user=request.user).filter(case=case),
            "requests": case.escalation_requests.select_related("requested_by", "decided_by"),
            "agency_form": AgencyPlacementForm(),
            "legal_form": LegalOpenForm(),
            "step_form": LegalStepForm(),
            "recall_form": RecallForm(),
            "complaints": case.complaints.select_related("collector"),
            "complaint_form": ComplaintForm(
                collectors=_case_collectors(request, case),
                initial={"collector": case.assigned_to_id, "received_on": timezone.localdate()},
            ),
        },
    )


def _run(request: HttpRequest, action, ok: str) -> None:  # type: ignore[no-untyped-def]
    try:
        action()
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, ok)


@require_POST
@role_required("manager", "admin")
def agency_place_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    form = AgencyPlacementForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect("manager:case_escalation", case_id=case.pk)
    d = form.cleaned_data
    _run(
        request,
        lambda: svc.agency_place(
            case_id=case.pk,
            actor=request.user,
            agency_id=d["agency"].pk,
            placed_on=d["placed_on"],
            recall_on=d["recall_on"],
            commission_pct=d.get("commission_pct"),
        ),
        _("Case placed with %(agency)s.") % {"agency": d["agency"].name},
    )
    return redirect("manager:case_escalation", case_id=case.pk)


@require_POST
@role_required("manager", "admin")
def legal_open_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    form = LegalOpenForm(request.POST)
    court = form.cleaned_data["court"] if form.is_valid() else ""
    _run(
        request,
        lambda: svc.legal_open(case_id=case.pk, actor=request.user, court=court),
        _("Legal action opened."),
    )
    return redirect("manager:case_escalation", case_id=case.pk)


@require_POST
@role_required("manager", "admin")
def legal_step_view(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(LegalAction.objects.visible_to(request.user), pk=action_id)
    form = LegalStepForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
    else:
        d = form.cleaned_data
        _run(
            request,
            lambda: svc.legal_step_record(
                action_id=action.pk,
                actor=request.user,
                stage=d["stage"],
                on_date=d["on_date"],
                document=d.get("document"),
                notes=d.get("notes", ""),
            ),
            _("Stage recorded."),
        )
    return redirect("manager:case_escalation", case_id=action.case_id)


@require_POST
@role_required("manager", "admin")
def agency_recall_view(request: HttpRequest, placement_id: int) -> HttpResponse:
    placement = get_object_or_404(AgencyPlacement.objects.visible_to(request.user), pk=placement_id)
    form = RecallForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
    else:
        d = form.cleaned_data
        _run(
            request,
            lambda: svc.agency_recall(
                placement_id=placement.pk,
                actor=request.user,
                returned_amount=d["returned_amount"],
                results=d.get("results", ""),
            ),
            _("Case recalled from the agency."),
        )
    return redirect("manager:case_escalation", case_id=placement.case_id)


@require_POST
@role_required("manager", "admin")
def complaint_add_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    form = ComplaintForm(request.POST, collectors=_case_collectors(request, case))
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
    else:
        d = form.cleaned_data
        _run(
            request,
            lambda: complaint_record(
                case_id=case.pk,
                actor=request.user,
                collector=d["collector"],
                received_on=d["received_on"],
                summary=d["summary"],
                upheld=d["upheld"],
            ),
            _("Complaint recorded."),
        )
    return redirect("manager:case_escalation", case_id=case.pk)
