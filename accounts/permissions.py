"""Role checks for pages and the API. Scope (which rows) is `visible_to`; this is who may act."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS, BasePermission


def role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Pages for other roles answer 404, like objects out of scope: nothing is revealed."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            role = "admin" if user.is_superuser else getattr(user, "role", None)
            if role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class ReadOnlyForAuditors(BasePermission):
    """Auditors read everything and change nothing."""

    message = "Auditors have read-only access."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or user.can_write


class IsRole(BasePermission):
    roles: tuple[str, ...] = ()

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        role = "admin" if user.is_superuser else user.role
        return role in self.roles


# Roles that need identity numbers in full: managers (disputes, legal action, agency
# placement), auditors (complaint and regulator inquiries) and administrators. Collectors see
# the last four characters, enough to confirm a caller's identity.
PII_FULL_ROLES = frozenset({"manager", "auditor", "admin"})


def can_see_pii(user: Any) -> bool:
    """Whether `user` may see national ids unmasked (pages, API, exports)."""
    if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active):
        return False
    role = "admin" if user.is_superuser else getattr(user, "role", "")
    return role in PII_FULL_ROLES
