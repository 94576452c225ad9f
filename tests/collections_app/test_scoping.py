import pytest

from collections_app.models import Case, ContactAttempt, Debt, Debtor
from tests.factories import CaseFactory, ContactAttemptFactory


@pytest.mark.django_db
def test_a_collector_sees_own_cases_and_the_team_queue_only(collector, teammate, team, case):
    unassigned = CaseFactory(team=team, assigned_to=None)
    teammates = CaseFactory(team=team, assigned_to=teammate)
    visible = set(Case.objects.visible_to(collector))
    assert case in visible
    assert unassigned in visible
    assert teammates not in visible


@pytest.mark.django_db
def test_a_collector_never_sees_another_teams_case(collector, other_case):
    assert not Case.objects.visible_to(collector).filter(pk=other_case.pk).exists()
    assert not Debtor.objects.visible_to(collector).filter(pk=other_case.debtor_id).exists()
    assert not Debt.objects.visible_to(collector).filter(debtor=other_case.debtor).exists()


@pytest.mark.django_db
def test_a_manager_sees_the_whole_team_and_nothing_else(manager, collector, case, other_case):
    visible = Case.objects.visible_to(manager)
    assert case in visible
    assert other_case not in visible


@pytest.mark.django_db
def test_an_auditor_sees_everything_and_can_change_nothing(auditor, case, other_case):
    assert set(Case.objects.visible_to(auditor)) >= {case, other_case}
    assert not Case.objects.writable_by(auditor).exists()


@pytest.mark.django_db
def test_attempts_are_visible_through_the_debtor(collector, case, other_case):
    mine = ContactAttemptFactory(case=case)
    theirs = ContactAttemptFactory(case=other_case)
    visible = set(ContactAttempt.objects.visible_to(collector))
    assert mine in visible
    assert theirs not in visible


@pytest.mark.django_db
def test_an_inactive_user_sees_nothing(collector, case):
    collector.is_active = False
    collector.save()
    assert not Case.objects.visible_to(collector).exists()
