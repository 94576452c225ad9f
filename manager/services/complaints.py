"""Recording a debtor's complaint about a collector (a quality input of the incentives)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import Case
from manager.models import Complaint


@transaction.atomic
def complaint_record(
    *, case_id: int, actor: User, collector: User, received_on: date, summary: str, upheld: bool
) -> Complaint:
    if not (actor.is_manager or actor.is_admin_role) or not actor.can_write:
        raise PermissionDenied(_("Only a manager records complaints."))
    case = Case.objects.writable_by(actor).filter(pk=case_id).first()
    if case is None:
        raise PermissionDenied(_("This case is not in your teams."))
    if not summary.strip():
        raise ValidationError({"summary": _("Say what the complaint is about.")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("A complaint cannot be received in the future.")})
    if collector.team_id != case.team_id:
        raise ValidationError({"collector": _("The collector is not in the case's team.")})
    return Complaint.objects.create(
        case=case,
        collector=collector,
        received_on=received_on,
        summary=summary.strip(),
        upheld=upheld,
    )
