"""Personas shared by every test: two teams, each with a manager and collectors; an auditor;
an admin. Tests read as sentences about them ("alice", "other_collector", "auditor")."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role

from .factories import CaseFactory, TeamFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory(name="US Team")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="China Team")


@pytest.fixture
def manager(team):
    user = UserFactory(username="morgan", role=Role.MANAGER, team=team)
    team.manager = user
    team.save()
    return user


@pytest.fixture
def collector(team):
    return UserFactory(username="alice", role=Role.COLLECTOR, team=team)


@pytest.fixture
def teammate(team):
    return UserFactory(username="bob", role=Role.COLLECTOR, team=team)


@pytest.fixture
def other_collector(other_team):
    return UserFactory(username="lina", role=Role.COLLECTOR, team=other_team)


@pytest.fixture
def other_manager(other_team):
    user = UserFactory(username="meng", role=Role.MANAGER, team=other_team)
    other_team.manager = user
    other_team.save()
    return user


@pytest.fixture
def auditor(db):
    return UserFactory(username="audrey", role=Role.AUDITOR, team=None)


@pytest.fixture
def admin_user(db):
    return UserFactory(
        username="admin", role=Role.ADMIN, team=None, is_staff=True, is_superuser=True
    )


@pytest.fixture
def case(collector, team):
    """A case assigned to alice."""
    return CaseFactory(team=team, assigned_to=collector)


@pytest.fixture
def other_case(other_collector, other_team):
    """A case of the other team, assigned to lina."""
    return CaseFactory(team=other_team, assigned_to=other_collector)


@pytest.fixture
def api():
    """An API client; call `api.force_authenticate(user)` to act as someone."""
    return APIClient()


def api_as(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client
