"""django-axes: five failures lock the username from that address for 15 minutes, no more."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

PASSWORD = "correct-horse-battery"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def attempt(client, password: str, ip: str = "198.51.100.1"):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("login"), {"username": "alice", "password": password}, REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_lock_lifts_after_the_cool_off_even_while_guessing_continues(client, collector):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            attempt(client, "wrong-password")
        assert attempt(client, PASSWORD).status_code == 429
    with time_machine.travel(T0 + timedelta(minutes=14), tick=False):
        assert attempt(client, PASSWORD).status_code == 429
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        response = attempt(client, PASSWORD)
        assert response.status_code == 302
        assert client.get(reverse("collections:queue")).status_code == 200


@pytest.mark.django_db
def test_an_attacker_elsewhere_cannot_lock_the_user_out(client, collector):
    """The lock is per username *and* address: failures from one address leave the user free
    to log in from theirs."""
    from django.test import Client

    with time_machine.travel(T0, tick=False):
        for _ in range(10):
            attempt(client, "wrong-password", ip="192.0.2.66")
        assert attempt(client, PASSWORD, ip="192.0.2.66").status_code == 429
        own = Client()
        assert attempt(own, PASSWORD, ip="198.51.100.20").status_code == 302


@pytest.mark.django_db
def test_four_failures_then_success_resets_the_count(client, collector):
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            attempt(client, "wrong-password")
        assert attempt(client, PASSWORD).status_code == 302
        client.post(reverse("logout"))
        for _ in range(4):
            attempt(client, "wrong-password")
        assert attempt(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_token_endpoint_failures_count_toward_the_same_lock(client, collector):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            client.post(
                reverse("api-token"),
                {"username": "alice", "password": "wrong-password"},
                content_type="application/json",
                REMOTE_ADDR="198.51.100.1",
            )
        assert attempt(client, PASSWORD).status_code == 429
