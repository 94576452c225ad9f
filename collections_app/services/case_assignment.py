"""The one writer of a case's assignee."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from collections_app.models import Case, CaseAssignment


@transaction.atomic
def case_assign(
    *, case_id: int, to_user: User | None, actor: User | None, reason: str = ""
) -> Case:
    """Assign (or unassign, with None) a case to a collector of its team; recorded."""
    case = Case.objects.select_for_update().get(pk=case_id)
    if to_user is not None:
        if to_user.role not in (Role.COLLECTOR, Role.MANAGER) or not to_user.is_active:
            raise ValidationError({"assigned_to": "Cases go to active collectors or managers."})
        if case.team_id is not None and to_user.team_id != case.team_id:
            raise ValidationError({"assigned_to": "The collector is not in the case's team."})
    if case.assigned_to_id == (to_user.pk if to_user else None):
        return case
    CaseAssignment.objects.create(
        case=case, from_user_id=case.assigned_to_id, to_user=to_user, actor=actor, reason=reason
    )
    case.assigned_to = to_user
    case.assigned_at = timezone.now()
    case.save(update_fields=["assigned_to", "assigned_at"])
    return case
