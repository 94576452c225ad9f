"""Signal receivers that write the authentication log (one of the few places signals fit:
Django and django-axes announce log-ins, log-outs and failures only through signals)."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .models import AuthEvent, AuthEventKind, User

USERNAME_MAX = 150
USER_AGENT_MAX = 300


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address. Behind the proxy, gunicorn/nginx set REMOTE_ADDR from the socket; we
    deliberately ignore X-Forwarded-For, which a client can forge."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def auth_event_record(
    *,
    kind: str,
    request: HttpRequest | None,
    user: User | None = None,
    username: str = "",
) -> AuthEvent:
    """Write one event. Only the username and request metadata are stored, never credentials."""
    if user is not None and not username:
        username = user.get_username()
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return AuthEvent.objects.create(
        user=user,
        username=(username or "")[:USERNAME_MAX],
        kind=kind,
        ip=client_ip(request),
        user_agent=agent[:USER_AGENT_MAX],
    )


@receiver(user_logged_in, dispatch_uid="accounts.auth_event.login")
def _on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    auth_event_record(kind=AuthEventKind.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.auth_event.logout")
def _on_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    auth_event_record(kind=AuthEventKind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="accounts.auth_event.login_failed")
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # `credentials` has the password scrubbed by Django already; we take only the username.
    username = str(credentials.get("username") or "")
    user = User.objects.filter(username=username).first() if username else None
    auth_event_record(
        kind=AuthEventKind.LOGIN_FAILED, request=request, user=user, username=username
    )


@receiver(user_locked_out, dispatch_uid="accounts.auth_event.locked_out")
def _on_locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any
) -> None:
    username = username or ""
    user = User.objects.filter(username=username).first() if username else None
    auth_event_record(kind=AuthEventKind.LOCKED_OUT, request=request, user=user, username=username)
