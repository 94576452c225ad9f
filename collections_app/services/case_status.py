"""The one writer of a case's status."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from collections_app.models import CASE_TRANSITIONS, Case, CaseStatus, CaseStatusChange
from collections_app.models.case import OPEN_CASE_STATUSES


@transaction.atomic
def case_status_change(
    *, case_id: int, to_status: str, actor: User | None, reason: str = ""
) -> Case:
    """Move a case to `to_status` if the state machine allows it; record who and why.

    The case row is locked so two concurrent changes cannot both read the same old status.
    """
    case = Case.objects.select_for_update().get(pk=case_id)
    if to_status not in CaseStatus.values:
        raise ValidationError({"status": f"Unknown status {to_status!r}."})
    if to_status == case.status:
        return case
    if not case.can_move_to(to_status):
        allowed = ", ".join(sorted(CASE_TRANSITIONS.get(case.status, ())))
        raise ValidationError(
            {"status": f"A case cannot go from {case.status} to {to_status}; allowed: {allowed}."}
        )
    now = timezone.now()
    CaseStatusChange.objects.create(
        case=case, from_status=case.status, to_status=to_status, actor=actor, reason=reason
    )
    case.status = to_status
    case.status_changed_at = now
    case.closed_at = None if to_status in OPEN_CASE_STATUSES else now
    case.save(update_fields=["status", "status_changed_at", "closed_at"])
    return case
