"""Log-ins, log-outs and failures land in the authentication log, without the password."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import AuthEvent, AuthEventKind

PASSWORD = "correct-horse-battery"


@pytest.mark.django_db
def test_login_and_logout_are_recorded_with_address_and_agent(client, collector):
    client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        HTTP_USER_AGENT="Mozilla/5.0 test",
        REMOTE_ADDR="203.0.113.7",
    )
    client.post(reverse("logout"), REMOTE_ADDR="203.0.113.7")
    events = list(AuthEvent.objects.filter(user=collector).order_by("id"))
    assert [e.kind for e in events] == [AuthEventKind.LOGIN, AuthEventKind.LOGOUT]
    assert events[0].ip == "203.0.113.7"
    assert events[0].user_agent == "Mozilla/5.0 test"
    assert events[0].username == "alice"


@pytest.mark.django_db
def test_failed_login_is_recorded_without_the_password(client, collector):
    client.post(reverse("login"), {"username": "alice", "password": "Secret-Guess-991"})
    event = AuthEvent.objects.get(kind=AuthEventKind.LOGIN_FAILED)
    assert event.user == collector
    assert event.username == "alice"
    stored = " ".join(str(v) for v in AuthEvent.objects.values_list().get())
    assert "Secret-Guess-991" not in stored


@pytest.mark.django_db
def test_failed_login_for_an_unknown_user_is_recorded_by_name(client):
    client.post(reverse("login"), {"username": "mallory", "password": "whatever-123"})
    event = AuthEvent.objects.get(kind=AuthEventKind.LOGIN_FAILED)
    assert event.user is None
    assert event.username == "mallory"


@pytest.mark.django_db
def test_lockout_is_recorded(client, collector):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice", "password": "wrong-password"})
    assert AuthEvent.objects.filter(kind=AuthEventKind.LOCKED_OUT, user=collector).exists()


@pytest.mark.django_db
def test_the_log_is_read_only_in_the_admin(client, admin_user, collector):
    client.post(reverse("login"), {"username": "alice", "password": "wrong-password"})
    client.force_login(admin_user)
    listing = client.get(reverse("admin:accounts_authevent_changelist"))
    assert listing.status_code == 200
    assert "alice" in listing.content.decode()
    model_admin = admin.site._registry[AuthEvent]
    request = listing.wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert client.get(reverse("admin:accounts_authevent_add")).status_code == 403
