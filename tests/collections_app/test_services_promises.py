"""Promises to pay, notes and follow-ups."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from collections_app.models import CaseStatus, PromiseStatus
from collections_app.services.follow_ups import follow_up_complete, follow_up_schedule
from collections_app.services.notes import note_create
from collections_app.services.promises import promise_create, promise_mark_broken
from tests.factories import CaseFactory, PromiseFactory

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOON, tick=False):
        yield


def test_promise_moves_the_case_and_syncs_reminders(case, collector, monkeypatch):
    synced = []
    monkeypatch.setattr(
        "messaging.services.reminders.reminders_sync", lambda *, case_id: synced.append(case_id)
    )
    promise = promise_create(
        case_id=case.pk, actor=collector, amount=Decimal("80"), due_date=date(2026, 3, 15)
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.PROMISE_TO_PAY
    assert promise.currency == "USD"
    assert synced == [case.pk]


def test_promise_for_a_debt_of_another_case_is_refused(case, other_case, collector):
    with pytest.raises(ValidationError) as exc:
        promise_create(
            case_id=case.pk,
            actor=collector,
            amount=Decimal("80"),
            due_date=date(2026, 3, 15),
            debt_id=other_case.debts.first().pk,
        )
    assert "debt" in exc.value.message_dict
    assert case.promises.count() == 0


def test_promise_on_a_disputed_case_is_refused(team, collector):
    case = CaseFactory(team=team, assigned_to=collector, status=CaseStatus.DISPUTED)
    with pytest.raises(ValidationError):
        promise_create(
            case_id=case.pk, actor=collector, amount=Decimal("80"), due_date=date(2026, 3, 15)
        )


def test_broken_promise_returns_the_case_to_active_once(case, collector):
    promise = promise_create(
        case_id=case.pk, actor=collector, amount=Decimal("80"), due_date=date(2026, 3, 15)
    )
    assert promise_mark_broken(promise_id=promise.pk) is not None
    assert promise_mark_broken(promise_id=promise.pk) is None  # second run: nothing
    promise.refresh_from_db()
    case.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN
    assert case.status == CaseStatus.ACTIVE
    assert case.status_changes.filter(to_status="active").count() == 1


def test_broken_promise_keeps_the_status_while_another_is_pending(case, collector):
    first = promise_create(
        case_id=case.pk, actor=collector, amount=Decimal("80"), due_date=date(2026, 3, 12)
    )
    PromiseFactory(case=case, due_date=date(2026, 3, 20))
    promise_mark_broken(promise_id=first.pk)
    case.refresh_from_db()
    assert case.status == CaseStatus.PROMISE_TO_PAY


def test_kept_promise_is_not_marked_broken(case):
    promise = PromiseFactory(case=case, status=PromiseStatus.KEPT)
    assert promise_mark_broken(promise_id=promise.pk) is None
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.KEPT


def test_empty_note_is_refused(case, collector):
    with pytest.raises(ValidationError):
        note_create(case_id=case.pk, author=collector, body="  ")
    assert case.notes.count() == 0


def test_follow_ups_drive_the_next_action(case, collector, teammate, other_collector):
    later = follow_up_schedule(
        case_id=case.pk, actor=collector, due_at=NOON + timedelta(days=2), reason="Later"
    )
    sooner = follow_up_schedule(
        case_id=case.pk, actor=collector, due_at=NOON + timedelta(days=1), reason="Sooner"
    )
    case.refresh_from_db()
    assert case.next_action_at == sooner.due_at
    assert sooner.assigned_to == collector
    follow_up_complete(follow_up_id=sooner.pk, actor=collector)
    case.refresh_from_db()
    assert case.next_action_at == later.due_at
    with pytest.raises(ValidationError):
        follow_up_schedule(
            case_id=case.pk,
            actor=collector,
            due_at=NOON + timedelta(days=1),
            reason="x",
            assigned_to=other_collector,
        )


def test_promise_during_a_plan_keeps_the_case_on_its_plan(team, collector):
    case = CaseFactory(team=team, assigned_to=collector, status=CaseStatus.PAYMENT_PLAN)
    promise_create(
        case_id=case.pk, actor=collector, amount=Decimal("80"), due_date=date(2026, 3, 15)
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.PAYMENT_PLAN
