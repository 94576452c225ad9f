"""Escalation: a collector asks, a manager decides, and the case goes to legal or an agency.

Placing a case moves it to status legal/agency through `case_status_change`; the case stays in
the compliance ledger (agency attempts arrive through the attempts import as facts).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import Case, CaseStatus
from collections_app.models.debt import OPEN_DEBT_STATUSES
from collections_app.services.case_status import case_status_change
from manager.models import (
    LEGAL_STAGE_ORDER,
    Agency,
    AgencyPlacement,
    EscalationKind,
    EscalationRequest,
    LegalAction,
    LegalStage,
    LegalStep,
    RequestStatus,
)


def _case_for_writer(*, case_id: int, actor: User) -> Case:
    try:
        return Case.objects.writable_by(actor).get(pk=case_id)
    except Case.DoesNotExist as exc:
        raise PermissionDenied(_("This case is not yours to change.")) from exc


def _require_manager(actor: User) -> None:
    if not (actor.is_manager or actor.is_admin_role):
        raise PermissionDenied(_("Only a manager can decide escalations."))


@transaction.atomic
def escalation_request(*, case_id: int, kind: str, actor: User, reason: str) -> EscalationRequest:
    """A collector (or manager) asks for legal action or an agency placement."""
    if kind not in EscalationKind.values:
        raise ValidationError({"kind": _("Choose legal action or agency placement.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the case should be escalated.")})
    case = _case_for_writer(case_id=case_id, actor=actor)
    target = CaseStatus.LEGAL if kind == EscalationKind.LEGAL else CaseStatus.AGENCY
    if not case.can_move_to(target):
        raise ValidationError(
            {
                "kind": _("A case in status %(status)s cannot be escalated.")
                % {"status": case.get_status_display()}
            }
        )
    try:
        with transaction.atomic():
            return EscalationRequest.objects.create(
                case=case, kind=kind, reason=reason.strip(), requested_by=actor
            )
    except IntegrityError as exc:
        # The partial unique constraint: one pending request per case and kind.
        raise ValidationError(
            {"kind": _("An escalation of this kind is already waiting for a decision.")}
        ) from exc


def _decide(*, request_id: int, actor: User, status: str, reason: str) -> EscalationRequest:
    _require_manager(actor)
    request = (
        EscalationRequest.objects.visible_to(actor)
        .select_for_update()
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise PermissionDenied(_("This request is not in your teams."))
    if request.requested_by_id == actor.pk:
        # Four eyes: nobody approves or rejects their own request.
        raise PermissionDenied(_("You cannot decide your own request."))
    if request.status != RequestStatus.PENDING:
        raise ValidationError(_("This request was already decided."))
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_reason = reason.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return request


@transaction.atomic
def escalation_reject(*, request_id: int, actor: User, reason: str) -> EscalationRequest:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the request is rejected.")})
    return _decide(request_id=request_id, actor=actor, status=RequestStatus.REJECTED, reason=reason)


@transaction.atomic
def escalation_approve(
    *,
    request_id: int,
    actor: User,
    reason: str = "",
    agency_id: int | None = None,
    placed_on: date | None = None,
    recall_on: date | None = None,
    commission_pct: Decimal | None = None,
) -> EscalationRequest:
    """Approve: a legal request opens a legal action; an agency request places the case with
    the chosen agency (agency, dates and commission required)."""
    request = _decide(
        request_id=request_id, actor=actor, status=RequestStatus.APPROVED, reason=reason
    )
    if request.kind == EscalationKind.LEGAL:
        legal_open(case_id=request.case_id, actor=actor, request=request)
    else:
        if agency_id is None or placed_on is None or recall_on is None:
            raise ValidationError(_("Choose the agency and the placement and recall dates."))
        agency_place(
            case_id=request.case_id,
            actor=actor,
            agency_id=agency_id,
            placed_on=placed_on,
            recall_on=recall_on,
            commission_pct=commission_pct,
            request=request,
        )
    return request


@transaction.atomic
def legal_open(
    *, case_id: int, actor: User, request: EscalationRequest | None = None, court: str = ""
) -> LegalAction:
    _require_manager(actor)
    case = _case_for_writer(case_id=case_id, actor=actor)
    if LegalAction.objects.filter(case=case, closed_at__isnull=True).exists():
        raise ValidationError(_("This case already has an open legal action."))
    action = LegalAction.objects.create(case=case, request=request, opened_by=actor, court=court)
    case_status_change(
        case_id=case.pk,
        to_status=CaseStatus.LEGAL,
        actor=actor,
        reason=_("Legal action opened"),
    )
    return action


@transaction.atomic
def legal_step_record(
    *,
    action_id: int,
    actor: User,
    stage: str,
    on_date: date,
    document: UploadedFile | None = None,
    notes: str = "",
) -> LegalStep:
    """Record a dated stage (demand letter, filing, judgment, enforcement). Stages only move
    forward; the same stage may be recorded again (a second letter)."""
    _require_manager(actor)
    action = LegalAction.objects.visible_to(actor).select_for_update().filter(pk=action_id).first()
    if action is None:
        raise PermissionDenied(_("This legal action is not in your teams."))
    if stage not in LegalStage.values:
        raise ValidationError({"stage": _("Unknown stage.")})
    if action.closed_at is not None:
        raise ValidationError(_("This legal action is closed."))
    has_steps = action.steps.exists()
    if has_steps and LEGAL_STAGE_ORDER.index(stage) < LEGAL_STAGE_ORDER.index(action.stage):
        raise ValidationError({"stage": _("A legal action does not go back a stage.")})
    step = LegalStep.objects.create(
        action=action,
        stage=stage,
        on_date=on_date,
        document=document or "",
        notes=notes,
        recorded_by=actor,
    )
    if action.stage != stage:
        action.stage = stage
        action.save(update_fields=["stage"])
    return step


@transaction.atomic
def agency_place(
    *,
    case_id: int,
    actor: User,
    agency_id: int,
    placed_on: date,
    recall_on: date,
    commission_pct: Decimal | None = None,
    request: EscalationRequest | None = None,
) -> AgencyPlacement:
    _require_manager(actor)
    case = _case_for_writer(case_id=case_id, actor=actor)
    agency = Agency.objects.filter(pk=agency_id, active=True).first()
    if agency is None:
        raise ValidationError({"agency": _("Choose an active agency.")})
    if recall_on <= placed_on:
        raise ValidationError({"recall_on": _("The recall date must be after the placement.")})
    if commission_pct is None:
        commission_pct = agency.default_commission_pct
    if not (0 <= commission_pct <= 100):
        raise ValidationError({"commission_pct": _("Commission is a percentage from 0 to 100.")})
    if AgencyPlacement.objects.filter(case=case, recalled_at__isnull=True).exists():
        raise ValidationError(_("This case is already with an agency."))
    balance = case.debts.filter(status__in=OPEN_DEBT_STATUSES).aggregate(s=Sum("balance"))["s"]
    placement = AgencyPlacement.objects.create(
        case=case,
        agency=agency,
        request=request,
        placed_on=placed_on,
        recall_on=recall_on,
        commission_pct=commission_pct,
        placed_balance=balance or Decimal("0"),
        placed_by=actor,
    )
    case_status_change(
        case_id=case.pk,
        to_status=CaseStatus.AGENCY,
        actor=actor,
        reason=_("Placed with %(agency)s") % {"agency": agency.name},
    )
    return placement


@transaction.atomic
def agency_recall(
    *, placement_id: int, actor: User, returned_amount: Decimal, results: str = ""
) -> AgencyPlacement:
    """The case comes back from the agency with what it collected and its notes."""
    _require_manager(actor)
    placement = (
        AgencyPlacement.objects.visible_to(actor)
        .select_for_update()
        .filter(pk=placement_id)
        .first()
    )
    if placement is None:
        raise PermissionDenied(_("This placement is not in your teams."))
    if placement.recalled_at is not None:
        raise ValidationError(_("This placement was already recalled."))
    if returned_amount < 0:
        raise ValidationError({"returned_amount": _("The amount cannot be negative.")})
    placement.recalled_at = timezone.now()
    placement.returned_amount = returned_amount
    placement.returned_notes = results
    placement.save(update_fields=["recalled_at", "returned_amount", "returned_notes"])
    case = Case.objects.get(pk=placement.case_id)
    if case.status == CaseStatus.AGENCY:
        case_status_change(
            case_id=case.pk,
            to_status=CaseStatus.ACTIVE,
            actor=actor,
            reason=_("Recalled from %(agency)s") % {"agency": placement.agency.name},
        )
    return placement
