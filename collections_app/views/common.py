"""What every collector page shares: who may open it, the collector's time zone, and how an
action answers (htmx or plain form posts)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import role_required

# Auditors have their own workspace; collector pages answer them 404 like any other role
# without business here.
COLLECTOR_ROLES = ("collector", "manager", "admin")
TZ_COOKIE = "tz"


def user_zone(request: HttpRequest) -> ZoneInfo | None:
    """The collector's own zone, as the browser reported it (static/js/collector.js)."""
    name = request.COOKIES.get(TZ_COOKIE, "")
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return None


def collector_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Collector, manager and admin only (others 404); times shown in the collector's zone."""

    @role_required(*COLLECTOR_ROLES)
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        zone = user_zone(request)
        if zone is None:
            return view(request, *args, **kwargs)
        with timezone.override(zone):
            return view(request, *args, **kwargs)

    return wrapped


def acting_user(request: HttpRequest) -> User:
    """The signed-in user (every page here requires one: LoginRequiredMiddleware)."""
    return cast(User, request.user)


def case_url(case_id: int) -> str:
    return reverse("collections:case", args=[case_id])


def action_done(request: HttpRequest, *, case_id: int, message: str) -> HttpResponse:
    """After a successful action: back to the case page, with the message shown there."""
    messages.success(request, message)
    url = case_url(case_id)
    if getattr(request, "htmx", False):
        response = HttpResponse("")
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def errors_onto_form(form: Form, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            target = field if field in form.fields else None
            for err in errs:
                form.add_error(target, err)
    else:
        for err in exc.messages:
            form.add_error(None, err)
