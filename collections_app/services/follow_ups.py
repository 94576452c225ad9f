"""Follow-ups: what someone must do on a case, and when. The case's next action date is the
earliest open follow-up, so the queue can sort on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.models import Case, FollowUp

if TYPE_CHECKING:
    from accounts.models import User


def _case_next_action_refresh(case: Case) -> None:
    nxt = FollowUp.objects.filter(case=case, done_at__isnull=True).aggregate(m=Min("due_at"))["m"]
    if case.next_action_at != nxt:
        case.next_action_at = nxt
        case.save(update_fields=["next_action_at"])


@transaction.atomic
def follow_up_schedule(
    *,
    case_id: int,
    actor: User,
    due_at: datetime,
    reason: str,
    assigned_to: User | None = None,
) -> FollowUp:
    case = Case.objects.select_for_update().get(pk=case_id)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Say what needs doing.")
    if due_at is None or due_at < timezone.now() - timedelta(minutes=5):
        errors["due_at"] = _("A follow-up is due in the future.")
    assignee = assigned_to or case.assigned_to or actor
    if case.team_id is not None and assignee.team_id not in (case.team_id, None):
        errors["assigned_to"] = _("Follow-ups go to someone in the case's team.")
    if errors:
        raise ValidationError(errors)
    follow_up = FollowUp.objects.create(
        case=case, assigned_to=assignee, due_at=due_at, reason=reason, created_by=actor
    )
    _case_next_action_refresh(case)
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up_id: int, actor: User) -> FollowUp:
    """Mark done once; a second click changes nothing (compare-and-swap on done_at)."""
    follow_up = FollowUp.objects.select_related("case").get(pk=follow_up_id)
    FollowUp.objects.filter(pk=follow_up_id, done_at__isnull=True).update(done_at=timezone.now())
    follow_up.refresh_from_db()
    case = Case.objects.select_for_update().get(pk=follow_up.case_id)
    _case_next_action_refresh(case)
    return follow_up
