"""Sessions end after inactivity; the absolute lifetime stays SESSION_COOKIE_AGE."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from accounts.models import AuthEvent, AuthEventKind

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
@override_settings(SESSION_IDLE_TIMEOUT=1800)
def test_idle_session_is_ended(client, collector):
    queue = reverse("collections:queue")
    with time_machine.travel(T0, tick=False):
        client.force_login(collector)
        assert client.get(queue).status_code == 200
    with time_machine.travel(T0 + timedelta(minutes=29), tick=False):
        assert client.get(queue).status_code == 200
    with time_machine.travel(T0 + timedelta(minutes=58), tick=False):
        assert client.get(queue).status_code == 200  # active 29 minutes ago: still fine
    with time_machine.travel(T0 + timedelta(minutes=90), tick=False):
        response = client.get(queue)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    assert AuthEvent.objects.filter(user=collector, kind=AuthEventKind.IDLE_TIMEOUT).exists()


def test_absolute_session_lifetime_is_bounded():
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
