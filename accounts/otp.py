"""TOTP enrolment and verification (django-otp, with `models.Authenticator`: the secret
encrypted at rest), kept out of the views."""

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp import match_token

from .auth_events import auth_event_record
from .models import Authenticator, AuthEventKind, User

DEVICE_NAME = "authenticator"


@transaction.atomic
def totp_device_for_enrolment(*, user: User) -> Authenticator:
    """The unconfirmed device the user is enrolling; created once and shown until confirmed, so
    reloading the page does not change the secret under their feet."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one enrolment at a time
    device = Authenticator.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = Authenticator.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_secret_base32(*, device: Authenticator) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_qr_data_uri(*, device: Authenticator) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (allowed by img-src, no inline
    markup that CSP would have to trust)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def totp_enrol_confirm(*, request: HttpRequest, user: User, device_id: int, code: str) -> bool:
    """Confirm the device with a first code from the app and verify this session with it."""
    with transaction.atomic():
        device = (
            Authenticator.objects.select_for_update()
            .filter(pk=device_id, user=user, confirmed=False)
            .first()
        )
        if device is None or not device.verify_is_allowed()[0] or not device.verify_token(code):
            ok = False
        else:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            ok = True
    if not ok:
        auth_event_record(kind=AuthEventKind.OTP_FAILED, request=request, user=user)
        return False
    otp_login(request, device)
    auth_event_record(kind=AuthEventKind.OTP_ENROLLED, request=request, user=user)
    return True


def totp_session_verify(*, request: HttpRequest, user: User, code: str) -> bool:
    """Verify the session's second factor. django-otp throttles repeated failures per device
    (OTP_TOTP_THROTTLE_FACTOR) and refuses a code already used (replay)."""
    device = match_token(user, code)
    if device is None or not device.confirmed:
        auth_event_record(kind=AuthEventKind.OTP_FAILED, request=request, user=user)
        return False
    otp_login(request, device)
    auth_event_record(kind=AuthEventKind.OTP_VERIFIED, request=request, user=user)
    return True


def totp_code_valid_for(*, user: User, code: str) -> bool:
    """For the API token endpoint: a code from one of the user's confirmed authenticators."""
    device = match_token(user, code)
    return device is not None and device.confirmed
