import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import User


@pytest.mark.django_db
def test_token_login_returns_a_token_that_authenticates(client, collector):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "correct-horse-battery"},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/schema/").status_code == 200


@pytest.mark.django_db
def test_token_login_with_a_wrong_password_is_refused(client, collector):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "token" not in response.json()


@pytest.mark.django_db
def test_anonymous_pages_redirect_to_login(client):
    response = client.get(reverse("collections:queue"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_each_role_is_sent_to_its_workspace(client, collector, manager, auditor):
    for user, target in [
        (collector, reverse("collections:queue")),
        (manager, reverse("manager:dashboard")),
        (auditor, reverse("audit:home")),
    ]:
        client.force_login(user)
        assert client.get("/")["Location"] == target


@pytest.mark.django_db
def test_collector_cannot_open_the_manager_dashboard(client, collector):
    client.force_login(collector)
    assert client.get(reverse("manager:dashboard")).status_code == 404


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_for_a_while(client, collector):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    assert response.status_code in (403, 429)


@pytest.mark.django_db
def test_create_user_command_creates_a_manager_of_a_new_team():
    call_command(
        "create_user", username="nora", password="a-long-Passphrase-42", role="manager", team="EU"
    )
    user = User.objects.get(username="nora")
    assert user.role == "manager"
    assert user.team.name == "EU"
    assert user.team.manager == user


@pytest.mark.django_db
def test_create_user_command_refuses_a_weak_password():
    with pytest.raises(CommandError):
        call_command("create_user", username="weak", password="123", role="collector")
    assert not User.objects.filter(username="weak").exists()
