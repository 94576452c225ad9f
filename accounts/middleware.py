"""Session hardening: the second factor for privileged roles, and an idle timeout."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from .models import AuthEventKind

IDLE_SESSION_KEY = "accounts_last_seen"
IDLE_RESOLUTION_SECONDS = 60
OTP_URL_NAMES = frozenset({"otp-verify", "otp-setup", "logout", "set_language", "api-token"})


def two_factor_required(user: Any) -> bool:
    """Whether this user's role must pass a second factor (settings.TWO_FACTOR_REQUIRED_ROLES)."""
    if not getattr(user, "is_authenticated", False):
        return False
    role = "admin" if user.is_superuser else getattr(user, "role", "")
    return role in set(settings.TWO_FACTOR_REQUIRED_ROLES)


def user_has_totp_device(user: Any) -> bool:
    from accounts.models import Authenticator

    return Authenticator.objects.filter(user=user, confirmed=True).exists()


class TwoFactorRequiredMiddleware:
    """Sends a password-authenticated manager/auditor/admin without a verified second factor to
    the verify page (or the enrolment page when they have no authenticator yet).

    Must follow django_otp's OTPMiddleware. Only session users are seen here: API token
    requests are authenticated by DRF inside the view, and tokens for these roles are issued
    only against a TOTP code (accounts.api.TokenLoginView), so the API needs no second check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if not two_factor_required(user) or user.is_verified():  # type: ignore[union-attr]
            return None
        match = request.resolver_match
        if match is not None and match.url_name in OTP_URL_NAMES:
            return None
        if request.path.startswith("/api/"):
            # DRF views are marked login-not-required (DRF authenticates itself), so the API is
            # checked by path: a half-authenticated session must not reach it.
            return JsonResponse(
                {"detail": _("Two-factor verification is required for this session.")},
                status=403,
            )
        if not getattr(view_func, "login_required", True):
            return None  # public pages (health) reveal nothing a session adds
        target = "otp-verify" if user_has_totp_device(user) else "otp-setup"
        response = redirect(target)
        next_url = request.get_full_path()
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            response["Location"] += "?" + urlencode({"next": next_url})
        return response


class IdleTimeoutMiddleware:
    """Ends a session after SESSION_IDLE_TIMEOUT seconds without a request (ASVS 3.3.2);
    SESSION_COOKIE_AGE still bounds the absolute lifetime. 0 disables it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timeout = int(getattr(settings, "SESSION_IDLE_TIMEOUT", 0) or 0)
        user = getattr(request, "user", None)
        if timeout and user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(timezone.now().timestamp())
            last_seen = request.session.get(IDLE_SESSION_KEY)
            if last_seen is not None and now - int(last_seen) > timeout:
                from .auth_events import auth_event_record

                auth_event_record(kind=AuthEventKind.IDLE_TIMEOUT, request=request, user=user)
                logout(request)
            elif last_seen is None or now - int(last_seen) >= IDLE_RESOLUTION_SECONDS:
                # Written at most once a minute so that not every request saves the session.
                request.session[IDLE_SESSION_KEY] = now
        return self.get_response(request)
