"""Allocation never exceeds capacity and balances load within one case; bulk reassignment is
scoped to the manager's teams; rotation moves cases held too long without progress."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role, User
from collections_app.models import Case, CaseAssignment, CaseStatus
from manager.models import AllocationRule, TeamPolicy
from manager.services import allocation
from manager.services.allocation import cases_allocate, cases_reassign, cases_rotate
from tests.factories import (
    CaseFactory,
    ContactAttemptFactory,
    DebtFactory,
    DebtorFactory,
    UserFactory,
)

from .conftest import NOW

pytestmark = pytest.mark.django_db


def loads(team):  # type: ignore[no-untyped-def]
    return {
        u.username: Case.objects.filter(assigned_to=u, status__in=["new", "active"]).count()
        for u in team.members.filter(role=Role.COLLECTOR)
    }


def test_allocation_balances_load_within_one_case(manager, collector, teammate, team):
    UserFactory(username="carol", team=team)
    for _ in range(17):
        CaseFactory(team=team, status=CaseStatus.NEW)
    result = cases_allocate(team_id=team.pk, actor=manager)
    assert len(result.assigned) == 17 and not result.unassigned
    counts = loads(team)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert sum(counts.values()) == 17
    # Every assignment is recorded, by whom and why.
    assert CaseAssignment.objects.filter(actor=manager, reason="Automatic allocation").count() == 17


def test_allocation_evens_out_an_uneven_start(manager, collector, teammate, team):
    for _ in range(6):
        CaseFactory(team=team, assigned_to=collector)
    for _ in range(8):
        CaseFactory(team=team, status=CaseStatus.NEW)
    cases_allocate(team_id=team.pk, actor=manager)
    assert loads(team) == {"alice": 7, "bob": 7}


def test_allocation_never_exceeds_capacity(manager, collector, teammate, team):
    team.case_capacity = 4
    team.save()
    CaseFactory(team=team, assigned_to=collector)
    for _ in range(10):
        CaseFactory(team=team, status=CaseStatus.NEW)
    result = cases_allocate(team_id=team.pk, actor=manager)
    assert loads(team) == {"alice": 4, "bob": 4}
    assert len(result.assigned) == 7 and len(result.unassigned) == 3
    assert set(result.unassigned.values()) == {"Every collector of the team is at capacity."}
    assert Case.objects.filter(team=team, assigned_to__isnull=True).count() == 3


def test_a_full_team_reports_its_waiting_cases_without_judging_each(
    manager, collector, teammate, team, monkeypatch
):
    team.case_capacity = 2
    team.save()
    CaseFactory(team=team, assigned_to=collector)
    waiting = [
        CaseFactory(team=team, status=CaseStatus.NEW, priority=p) for p in [5, 0, 0, 9, 5] * 6
    ]
    judged = []
    real = allocation._eligible
    monkeypatch.setattr(allocation, "_eligible", lambda **kw: judged.append(1) or real(**kw))
    result = cases_allocate(team_id=team.pk, actor=manager)
    assert len(result.assigned) == 3 and len(judged) == 3  # then nobody has room
    assert result.unassigned == dict.fromkeys(
        [c.pk for c in waiting if c.pk not in result.assigned],
        "Every collector of the team is at capacity.",
    )
    judged.clear()
    again = cases_allocate(team_id=team.pk, actor=manager)
    assert (again.assigned, len(again.unassigned), judged) == ({}, 27, [])


def test_a_team_without_collectors_says_so(manager, other_team):
    case = CaseFactory(team=other_team, status=CaseStatus.NEW)
    User.objects.filter(team=other_team, role="collector").update(is_active=False)
    result = cases_allocate(team_id=other_team.pk, actor=manager)
    assert result.unassigned == {case.pk: "The team has no active collector."}


def test_a_matching_collector_at_capacity_leaves_the_case_while_others_have_room(
    manager, collector, teammate, team
):
    team.case_capacity = 1
    team.save()
    collector.regions = ["NY"]
    collector.save()
    teammate.regions = ["CA"]
    teammate.save()
    CaseFactory(team=team, assigned_to=collector)
    ny = CaseFactory(team=team, status="new", debtor=DebtorFactory(region="NY"))
    ca = CaseFactory(team=team, status="new", debtor=DebtorFactory(region="CA"))
    result = cases_allocate(team_id=team.pk, actor=manager)
    assert result.assigned == {ca.pk: teammate.pk}
    assert result.unassigned == {ny.pk: "Every matching collector is at capacity."}


def test_region_and_language_skills_decide(manager, collector, teammate, team):
    collector.regions, collector.languages = ["NY"], ["en"]
    collector.save()
    teammate.regions, teammate.languages = ["CA"], ["en", "zh-hans"]
    teammate.save()
    ny = CaseFactory(team=team, status="new", debtor=DebtorFactory(region="NY"))
    ca_zh = CaseFactory(
        team=team, status="new", debtor=DebtorFactory(region="CA", preferred_language="zh-hans")
    )
    tx = CaseFactory(team=team, status="new", debtor=DebtorFactory(region="TX"))
    result = cases_allocate(team_id=team.pk, actor=manager)
    assert result.assigned == {ny.pk: collector.pk, ca_zh.pk: teammate.pk}
    assert tx.pk in result.unassigned


def test_rules_send_a_bucket_and_product_to_named_collectors(manager, collector, teammate, team):
    rule = AllocationRule.objects.create(
        team=team, name="Late mortgages", buckets=["M6+"], products=["mortgage"]
    )
    rule.collectors.set([teammate])
    for _ in range(3):
        debt = DebtFactory(product="mortgage", days_past_due=400)
        CaseFactory(team=team, status="new", debtor=debt.debtor, debts=[debt])
    ordinary = CaseFactory(team=team, status="new")
    result = cases_allocate(team_id=team.pk, actor=manager)
    assert loads(team) == {"alice": 1, "bob": 3}
    assert result.assigned[ordinary.pk] == collector.pk


def test_other_teams_cases_are_never_allocated(manager, collector, team, other_team):
    theirs = CaseFactory(team=other_team, status="new")
    cases_allocate(team_id=team.pk, actor=manager)
    theirs.refresh_from_db()
    assert theirs.assigned_to_id is None


def test_bulk_reassign_moves_the_selected_cases(client, manager, collector, teammate, team):
    cases = [CaseFactory(team=team, assigned_to=collector) for _ in range(3)]
    client.force_login(manager)
    response = client.post(
        reverse("manager:cases_reassign"),
        {"cases": [c.pk for c in cases[:2]], "to_user": teammate.pk, "reason": "Holiday cover"},
    )
    assert response.status_code == 302
    assert [Case.objects.get(pk=c.pk).assigned_to_id for c in cases] == [
        teammate.pk,
        teammate.pk,
        collector.pk,
    ]
    assert CaseAssignment.objects.filter(reason="Holiday cover", actor=manager).count() == 2


def test_bulk_reassign_of_another_teams_case_is_404(client, manager, teammate, case, other_case):
    client.force_login(manager)
    response = client.post(
        reverse("manager:cases_reassign"),
        {"cases": [case.pk, other_case.pk], "to_user": teammate.pk, "reason": "x"},
    )
    assert response.status_code == 404
    case.refresh_from_db()
    other_case.refresh_from_db()
    assert case.assigned_to.username == "alice" and other_case.assigned_to.username == "lina"


def test_manager_cannot_see_another_teams_cases(client, manager, case, other_case):
    client.force_login(manager)
    body = client.get(reverse("manager:cases")).content.decode()
    assert f'data-case="{case.pk}"' in body and f'data-case="{other_case.pk}"' not in body
    for name in ("manager:case_escalation", "manager:case_score"):
        assert client.get(reverse(name, args=[other_case.pk])).status_code == 404


def test_reassign_to_another_teams_collector_is_refused(manager, case, other_collector):
    with pytest.raises(ValidationError):
        cases_reassign(case_ids=[case.pk], to_user=other_collector, actor=manager, reason="x")
    case.refresh_from_db()
    assert case.assigned_to.username == "alice"


def test_reassign_beyond_capacity_is_refused_and_nothing_moves(manager, collector, teammate, team):
    team.case_capacity = 2
    team.save()
    CaseFactory(team=team, assigned_to=teammate)
    mine = [CaseFactory(team=team, assigned_to=collector) for _ in range(2)]
    with pytest.raises(ValidationError, match="exceed the capacity"):
        cases_reassign(case_ids=[c.pk for c in mine], to_user=teammate, actor=manager, reason="x")
    assert Case.objects.filter(assigned_to=collector).count() == 2


def test_reassign_needs_a_reason(manager, case, teammate):
    with pytest.raises(ValidationError):
        cases_reassign(case_ids=[case.pk], to_user=teammate, actor=manager, reason="  ")


def test_auditor_cannot_reassign(auditor, case, teammate, client):
    with pytest.raises(ValidationError):
        cases_reassign(case_ids=[case.pk], to_user=teammate, actor=auditor, reason="x")
    client.force_login(auditor)
    response = client.post(
        reverse("manager:cases_reassign"),
        {"cases": [case.pk], "to_user": teammate.pk, "reason": "x"},
    )
    assert response.status_code == 404


def test_rotation_moves_stale_cases_only(frozen, manager, collector, teammate, team):
    TeamPolicy.objects.create(team=team, rotation_days=30)
    frozen.move_to(NOW - timedelta(days=40))
    stale = CaseFactory(team=team, status="active")
    progressing = CaseFactory(team=team, status="active")
    from collections_app.services.case_assignment import case_assign

    case_assign(case_id=stale.pk, to_user=collector, actor=manager)
    case_assign(case_id=progressing.pk, to_user=collector, actor=manager)
    frozen.move_to(NOW - timedelta(days=5))
    ContactAttemptFactory(case=progressing, actor=collector, outcome="conversation")
    fresh = CaseFactory(team=team, status="active")
    case_assign(case_id=fresh.pk, to_user=collector, actor=manager)
    frozen.move_to(NOW)
    result = cases_rotate(team_id=team.pk, actor=None)
    assert result.assigned == {stale.pk: teammate.pk}
    stale.refresh_from_db()
    assert stale.assigned_to_id == teammate.pk
    assert CaseAssignment.objects.filter(case=stale, reason__startswith="Rotation").exists()


def test_allocate_page_button(client, manager, collector, team):
    CaseFactory(team=team, status="new")
    client.force_login(manager)
    response = client.post(reverse("manager:cases_allocate"), {"team": team.pk}, follow=True)
    assert "1 cases allocated" in response.content.decode()
    assert Case.objects.filter(assigned_to=collector).count() == 1


def test_allocate_another_team_is_404(client, manager, other_team):
    client.force_login(manager)
    assert (
        client.post(reverse("manager:cases_allocate"), {"team": other_team.pk}).status_code == 404
    )


def test_a_case_without_debts_still_allocates(manager, collector, team):
    case = CaseFactory(team=team, status="new", debts=[])
    assert cases_allocate(team_id=team.pk, actor=manager).assigned == {case.pk: collector.pk}


def test_manager_sets_the_rotation_period(client, manager, team, other_team):
    client.force_login(manager)
    response = client.post(
        reverse("manager:team_policy"), {"team": team.pk, "rotation_days": 45}, follow=True
    )
    assert "Allocation policy of US Team saved." in response.content.decode()
    policy = TeamPolicy.objects.get(team=team)
    assert policy.rotation_days == 45 and policy.auto_allocate is False
    bad = client.post(reverse("manager:team_policy"), {"team": team.pk, "rotation_days": 0})
    assert bad.status_code == 302
    assert TeamPolicy.objects.get(team=team).rotation_days == 45
    other = client.post(reverse("manager:team_policy"), {"team": other_team.pk, "rotation_days": 9})
    assert other.status_code == 404
    assert not TeamPolicy.objects.filter(team=other_team).exists()


def test_beat_allocation_skips_teams_that_allocate_by_hand(
    manager, collector, team, other_team, other_collector
):
    from manager.tasks import cases_allocate_all

    TeamPolicy.objects.create(team=team, auto_allocate=False)
    ours = CaseFactory(team=team, status="new")
    theirs = CaseFactory(team=other_team, status="new")
    assert cases_allocate_all() == 1
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.assigned_to_id is None and theirs.assigned_to_id == other_collector.pk
