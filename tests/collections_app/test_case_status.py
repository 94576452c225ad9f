import pytest
from django.core.exceptions import ValidationError

from collections_app.models import CaseStatusChange
from collections_app.services.case_assignment import case_assign
from collections_app.services.case_status import case_status_change


@pytest.mark.django_db
def test_an_allowed_transition_is_recorded_with_who_and_why(case, collector):
    case_status_change(case_id=case.pk, to_status="promise_to_pay", actor=collector, reason="PTP")
    case.refresh_from_db()
    assert case.status == "promise_to_pay"
    change = CaseStatusChange.objects.get(case=case)
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        "active",
        "promise_to_pay",
        collector,
        "PTP",
    )


@pytest.mark.django_db
def test_a_refused_transition_changes_nothing(case, collector):
    case_status_change(case_id=case.pk, to_status="settled", actor=collector)
    with pytest.raises(ValidationError):
        case_status_change(case_id=case.pk, to_status="legal", actor=collector)
    case.refresh_from_db()
    assert case.status == "settled"
    assert CaseStatusChange.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_closing_sets_closed_at_and_reopening_clears_it(case, collector):
    case_status_change(case_id=case.pk, to_status="closed", actor=collector)
    case.refresh_from_db()
    assert case.closed_at is not None
    case_status_change(case_id=case.pk, to_status="active", actor=collector, reason="reopened")
    case.refresh_from_db()
    assert case.closed_at is None


@pytest.mark.django_db
def test_assignment_to_another_teams_collector_is_refused(case, other_collector, manager):
    with pytest.raises(ValidationError):
        case_assign(case_id=case.pk, to_user=other_collector, actor=manager)


@pytest.mark.django_db
def test_every_assignment_is_recorded(case, teammate, manager):
    case_assign(case_id=case.pk, to_user=teammate, actor=manager, reason="rebalance")
    assignment = case.assignments.get()
    assert assignment.to_user == teammate
    assert assignment.actor == manager
