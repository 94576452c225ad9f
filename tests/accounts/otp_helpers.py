"""TOTP codes for tests, computed the way an authenticator app does."""

from django_otp.oath import TOTP

from accounts.models import Authenticator


def totp_code(device: Authenticator) -> str:
    """The code the device's authenticator app shows at the current (travelled) time."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def enrolled_device(user) -> Authenticator:  # type: ignore[no-untyped-def]
    return Authenticator.objects.create(user=user, name="authenticator", confirmed=True)
