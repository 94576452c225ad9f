"""Managers keep their team's allocation rules from the case list: added, switched off and
on, deleted; only for their own team; each change kept with who made it."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from collections_app.models import CaseStatus
from manager.models import AllocationRule
from manager.services.allocation import cases_allocate
from tests.factories import CaseFactory, DebtFactory

pytestmark = pytest.mark.django_db


def _add(client, team, **data):  # type: ignore[no-untyped-def]
    body = {
        "team": team.pk,
        "name": "Late mortgages",
        "buckets": ["M6+"],
        "products": ["mortgage"],
        **data,
    }
    return client.post(reverse("manager:allocation_rule_add"), body)


def _said(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_a_manager_adds_a_rule_and_allocation_follows_it(
    client, manager, collector, teammate, team
):
    client.force_login(manager)
    response = _add(client, team, collectors=[teammate.pk])
    assert response.status_code == 302
    rule = AllocationRule.objects.get()
    assert (rule.team, rule.name, rule.buckets, rule.products, rule.active) == (
        team,
        "Late mortgages",
        ["M6+"],
        ["mortgage"],
        True,
    )
    assert list(rule.collectors.all()) == [teammate]
    assert {h.history_user for h in rule.history.all()} == {manager}
    mortgages = []
    for _ in range(3):
        debt = DebtFactory(product="mortgage", days_past_due=400)
        mortgages.append(CaseFactory(team=team, status=CaseStatus.NEW, debtor=debt.debtor))
        mortgages[-1].debts.set([debt])
    result = cases_allocate(team_id=team.pk, actor=manager)
    assert {result.assigned[c.pk] for c in mortgages} == {teammate.pk}


def test_the_case_list_shows_the_rules_and_the_form(client, manager, teammate, team):
    client.force_login(manager)
    _add(client, team, collectors=[teammate.pk])
    page = client.get(reverse("manager:cases")).content.decode()
    assert "Late mortgages" in page and "Add the rule" in page
    assert f'action="{reverse("manager:allocation_rule_add")}"' in page


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"name": "  "}, "Name the rule"),
        ({"buckets": ["M9"]}, "M9"),
        ({"collectors": []}, "collectors"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_saved(
    client, manager, teammate, team, data, says
):
    client.force_login(manager)
    response = _add(client, team, **{"collectors": [teammate.pk], **data})
    assert response.status_code == 302
    assert says.lower() in _said(response).lower()
    assert not AllocationRule.objects.exists()


def test_a_collector_of_another_team_cannot_be_named(client, manager, other_collector, team):
    client.force_login(manager)
    response = _add(client, team, collectors=[other_collector.pk])
    assert "collectors" in _said(response).lower()
    assert not AllocationRule.objects.exists()


def test_another_teams_manager_gets_404_and_changes_nothing(
    client, manager, other_manager, teammate, team
):
    client.force_login(manager)
    _add(client, team, collectors=[teammate.pk])
    rule = AllocationRule.objects.get()
    client.force_login(other_manager)
    assert _add(client, team, collectors=[teammate.pk]).status_code == 404
    off = reverse("manager:allocation_rule_active", args=[rule.pk])
    assert client.post(off, {"active": "0"}).status_code == 404
    gone = reverse("manager:allocation_rule_remove", args=[rule.pk])
    assert client.post(gone, {"confirm": "1"}).status_code == 404
    rule.refresh_from_db()
    assert rule.active and AllocationRule.objects.count() == 1


@pytest.mark.parametrize("persona", ["collector", "auditor"])
def test_other_roles_get_404(client, request, persona, teammate, team):
    client.force_login(request.getfixturevalue(persona))
    assert _add(client, team, collectors=[teammate.pk]).status_code == 404
    assert not AllocationRule.objects.exists()


def test_a_rule_switched_off_no_longer_routes_and_can_be_deleted(
    client, manager, collector, teammate, team
):
    client.force_login(manager)
    _add(client, team, collectors=[teammate.pk])
    rule = AllocationRule.objects.get()
    response = client.post(
        reverse("manager:allocation_rule_active", args=[rule.pk]), {"active": "0"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert not rule.active
    assert client.get(reverse("manager:allocation_rule_active", args=[rule.pk])).status_code == 405
    gone = reverse("manager:allocation_rule_remove", args=[rule.pk])
    unsure = client.post(gone)
    assert "Tick the box" in _said(unsure) and AllocationRule.objects.exists()
    client.post(gone, {"confirm": "1"})
    assert not AllocationRule.objects.exists()
    assert rule.history.filter(history_type="-").get().history_user == manager


def test_an_admin_keeps_any_teams_rules(client, admin_user, other_collector, other_team):
    client.force_login(admin_user)
    assert _add(client, other_team, collectors=[other_collector.pk]).status_code == 302
    assert AllocationRule.objects.get().team == other_team


def test_the_service_itself_checks_the_team_and_the_actor(
    manager, collector, other_collector, team, other_team
):
    from django.core.exceptions import PermissionDenied, ValidationError

    from manager.services.allocation_rules import allocation_rule_create

    base = {"name": "R", "buckets": [], "products": [], "team_id": team.pk}
    with pytest.raises(ValidationError):
        allocation_rule_create(actor=manager, collector_ids=[other_collector.pk], **base)
    with pytest.raises(PermissionDenied):
        allocation_rule_create(actor=collector, collector_ids=[collector.pk], **base)
    with pytest.raises(PermissionDenied):
        allocation_rule_create(
            actor=manager, collector_ids=[other_collector.pk], **{**base, "team_id": other_team.pk}
        )
    assert not AllocationRule.objects.exists()
