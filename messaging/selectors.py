"""Reads for the case page and the manager's reminder view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from collections_app.models import Reminder, ReminderStatus


def reminders_for_case(*, case_id: int) -> QuerySet[Reminder]:
    """Every reminder of a case, upcoming and past, for the case page. The caller has already
    scoped the case to the user (`Case.objects.visible_to`)."""
    return (
        Reminder.objects.filter(case_id=case_id)
        .select_related("contact_point", "case__debtor")
        .order_by("-due_at", "-id")
    )


@dataclass(frozen=True)
class ReminderVolume:
    day: date
    by_status: dict[str, int]
    total: int
    problems: list[Reminder]


def reminder_volume_for_user(*, user: User, day: date | None = None) -> ReminderVolume:
    """Reminders due or acted on during `day` (UTC), by status, with the failed and cancelled
    ones listed, within what the user may see (managers: their team; admins: everything)."""
    day = day or timezone.now().date()
    start = datetime.combine(day, time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    in_day = Q(due_at__gte=start, due_at__lt=end) | Q(updated_at__gte=start, updated_at__lt=end)
    rows = Reminder.objects.visible_to(user).filter(in_day)
    counts = {status: 0 for status in ReminderStatus.values}
    for row in rows.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    problems = list(
        rows.filter(status__in=(ReminderStatus.FAILED, ReminderStatus.CANCELLED))
        .select_related("case__debtor", "contact_point")
        .order_by("-updated_at", "-id")[:200]
    )
    return ReminderVolume(day=day, by_status=counts, total=sum(counts.values()), problems=problems)
