"""Helpers shared by the manager's pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest


def team_param(request: HttpRequest) -> int | None:
    """Admins may narrow the dashboard to one team; managers see their own teams."""
    raw = request.GET.get("team", "")
    return int(raw) if raw.isdigit() else None


def error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(str(m) for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(str(m) for m in exc.messages)
