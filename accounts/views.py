from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import Role

HOME_BY_ROLE = {
    Role.COLLECTOR: "collections:queue",
    Role.MANAGER: "manager:dashboard",
    Role.AUDITOR: "audit:home",
    Role.ADMIN: "admin:index",
}


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own workspace."""
    user = request.user
    role = Role.ADMIN if user.is_superuser else user.role  # type: ignore[union-attr]
    return redirect(HOME_BY_ROLE.get(role, "collections:queue"))
