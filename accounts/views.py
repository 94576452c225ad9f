from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .forms import OTPCodeForm
from .middleware import user_has_totp_device
from .models import Role
from .otp import (
    totp_device_for_enrolment,
    totp_enrol_confirm,
    totp_qr_data_uri,
    totp_secret_base32,
    totp_session_verify,
)

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


def _next_or_home(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("home")


@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show the secret, its otpauth URI and QR code; confirm with a
    first code. Once a device is confirmed, changing it is an administrator's job (so a stolen
    password alone cannot replace someone's authenticator)."""
    user = request.user
    if user_has_totp_device(user):
        return redirect("otp-verify")
    device = totp_device_for_enrolment(user=user)  # type: ignore[arg-type]
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_enrol_confirm(
            request=request,
            user=user,  # type: ignore[arg-type]
            device_id=device.pk,
            code=form.cleaned_data["code"],
        ):
            messages.success(request, _("Your authenticator app is set up."))
            return _next_or_home(request)
        form.add_error("code", _("That code is not valid. Check the time on your phone."))
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "secret": totp_secret_base32(device=device),
            "otpauth_uri": device.config_url,
            "qr_data_uri": totp_qr_data_uri(device=device),
            "next": request.GET.get("next", ""),
        },
    )


@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step after the password for roles that need two factors."""
    user = request.user
    if not user_has_totp_device(user):
        return redirect("otp-setup")
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_session_verify(
            request=request,
            user=user,  # type: ignore[arg-type]
            code=form.cleaned_data["code"],
        ):
            return _next_or_home(request)
        form.add_error("code", _("That code is not valid, or too many attempts: wait and retry."))
    return render(
        request, "accounts/otp_verify.html", {"form": form, "next": request.GET.get("next", "")}
    )
