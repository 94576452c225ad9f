"""Managers, auditors and admins need a TOTP code after their password when the setting says
so; collectors do not; API tokens for those roles need a code too."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from accounts.models import Authenticator, AuthEvent, AuthEventKind

from .otp_helpers import enrolled_device, totp_code

PASSWORD = "correct-horse-battery"
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ENFORCED = override_settings(TWO_FACTOR_REQUIRED_ROLES=["manager", "auditor", "admin"])


def password_login(client, username: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


@pytest.fixture(autouse=True)
def _frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.mark.django_db
@ENFORCED
def test_manager_without_an_authenticator_is_sent_to_enrolment(client, manager):
    password_login(client, "morgan")
    response = client.get(reverse("manager:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-setup"))
    assert "next=" in response["Location"]


@pytest.mark.django_db
@ENFORCED
def test_enrolment_shows_the_secret_and_a_qr_code_and_confirms_with_a_code(client, manager):
    password_login(client, "morgan")
    page = client.get(reverse("otp-setup"))
    assert page.status_code == 200
    assert page.context["otpauth_uri"].startswith("otpauth://totp/")
    assert page.context["qr_data_uri"].startswith("data:image/svg+xml;base64,")
    assert page.context["secret"] in page.content.decode()
    # Reloading keeps the same secret.
    assert client.get(reverse("otp-setup")).context["secret"] == page.context["secret"]

    device = Authenticator.objects.get(user=manager)
    assert not device.confirmed
    response = client.post(reverse("otp-setup"), {"code": totp_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("manager:dashboard")).status_code == 200
    assert AuthEvent.objects.filter(user=manager, kind=AuthEventKind.OTP_ENROLLED).exists()


@pytest.mark.django_db
@ENFORCED
def test_enrolment_with_a_wrong_code_confirms_nothing(client, manager):
    password_login(client, "morgan")
    client.get(reverse("otp-setup"))
    response = client.post(reverse("otp-setup"), {"code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not Authenticator.objects.filter(user=manager, confirmed=True).exists()
    assert client.get(reverse("manager:dashboard")).status_code == 302


@pytest.mark.django_db
@ENFORCED
def test_enrolled_auditor_must_verify_before_reading_anything(client, auditor):
    device = enrolled_device(auditor)
    password_login(client, "audrey")
    response = client.get(reverse("audit:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-verify"))
    # An enrolled user cannot replace the authenticator by enrolling again.
    assert client.get(reverse("otp-setup"))["Location"] == reverse("otp-verify")

    bad = client.post(reverse("otp-verify"), {"code": "123456"})
    assert bad.status_code == 200
    assert client.get(reverse("audit:home")).status_code == 302

    with time_machine.travel(NOON + timedelta(seconds=60), tick=False):
        # django-otp throttles after a failure; after the delay a good code passes.
        good = client.post(
            reverse("otp-verify"), {"code": totp_code(device), "next": reverse("audit:home")}
        )
        assert good.status_code == 302
        assert good["Location"] == reverse("audit:home")
        assert client.get(reverse("audit:home")).status_code == 200
    kinds = set(AuthEvent.objects.filter(user=auditor).values_list("kind", flat=True))
    assert {AuthEventKind.OTP_FAILED, AuthEventKind.OTP_VERIFIED} <= kinds


@pytest.mark.django_db
@ENFORCED
def test_a_used_code_cannot_be_replayed_in_another_session(client, admin_user):
    device = enrolled_device(admin_user)
    code = totp_code(device)
    password_login(client, "admin")
    assert client.post(reverse("otp-verify"), {"code": code}).status_code == 302
    from django.test import Client

    other = Client()
    password_login(other, "admin")
    assert other.post(reverse("otp-verify"), {"code": code}).status_code == 200
    assert other.get(reverse("admin:index")).status_code == 302


@pytest.mark.django_db
@ENFORCED
def test_verify_redirect_refuses_an_offsite_next(client, manager):
    device = enrolled_device(manager)
    password_login(client, "morgan")
    response = client.post(
        reverse("otp-verify"), {"code": totp_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
@ENFORCED
def test_collectors_need_no_second_factor(client, collector):
    password_login(client, "alice")
    assert client.get(reverse("collections:queue")).status_code == 200


@pytest.mark.django_db
@ENFORCED
def test_unverified_session_cannot_use_the_api(client, manager):
    password_login(client, "morgan")
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403
    assert "Two-factor" in response.json()["detail"]


@pytest.mark.django_db
def test_without_the_setting_managers_log_in_with_a_password_only(client, manager):
    password_login(client, "morgan")
    assert client.get(reverse("manager:dashboard")).status_code == 200


@pytest.mark.django_db
@ENFORCED
def test_api_token_for_a_two_factor_role_needs_a_valid_code(client, manager):
    device = enrolled_device(manager)
    url = reverse("api-token")
    no_code = client.post(
        url, {"username": "morgan", "password": PASSWORD}, content_type="application/json"
    )
    assert no_code.status_code == 400
    assert "token" not in no_code.json()
    wrong = client.post(
        url,
        {"username": "morgan", "password": PASSWORD, "otp": "000000"},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    with time_machine.travel(NOON + timedelta(seconds=60), tick=False):
        good = client.post(
            url,
            {"username": "morgan", "password": PASSWORD, "otp": totp_code(device)},
            content_type="application/json",
        )
    assert good.status_code == 200
    assert good.json()["token"]
    # A token stands for both factors: the API accepts it without a session check.
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert api.get("/api/schema/").status_code == 200
    assert AuthEvent.objects.filter(user=manager, kind=AuthEventKind.TOKEN_ISSUED).count() == 1


@pytest.mark.django_db
@ENFORCED
def test_api_token_for_a_collector_needs_no_code(client, collector):
    response = client.post(
        reverse("api-token"),
        {"username": "alice", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
