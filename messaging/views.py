"""The manager's view of reminder volume."""

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import role_required
from collections_app.models import ReminderStatus

from .selectors import reminder_volume_for_user


@role_required("manager", "admin")
def reminders_overview(request: HttpRequest) -> HttpResponse:
    try:
        day = date.fromisoformat(request.GET["day"]) if request.GET.get("day") else None
    except ValueError:
        day = None
    volume = reminder_volume_for_user(user=request.user, day=day)
    statuses = [
        (code, label, volume.by_status.get(code, 0)) for code, label in ReminderStatus.choices
    ]
    return render(
        request, "messaging/reminders_overview.html", {"volume": volume, "statuses": statuses}
    )
