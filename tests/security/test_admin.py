"""The Django admin as a whole: staff only, and behind the second factor when it is required."""

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.accounts.otp_helpers import enrolled_device


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["collector", "other_collector", "manager", "other_manager", "auditor"]
)
def test_admin_refuses_every_non_staff_role(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for url in (reverse("admin:index"), reverse("admin:accounts_user_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


@pytest.mark.django_db
def test_admin_sends_the_anonymous_to_log_in(client):
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_admin_role_reaches_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
@override_settings(TWO_FACTOR_REQUIRED_ROLES=["admin"])
def test_admin_needs_the_second_factor_when_required(client, admin_user):
    enrolled_device(admin_user)
    client.force_login(admin_user)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-verify"))
