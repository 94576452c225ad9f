from datetime import date

import pytest
import time_machine

from collections_app.models import Reminder
from messaging.services.reminders import reminders_sync
from tests.factories import PromiseFactory

from .conftest import active_plan, cn_case, us_case, utc

pytestmark = pytest.mark.django_db

NOW = utc(2026, 11, 5, 12, 0)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def test_plan_and_promise_get_every_reminder_in_the_debtors_morning(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    plan = active_plan(case, dues=[date(2026, 11, 10), date(2026, 12, 10)])
    promise = PromiseFactory(case=case, due_date=date(2026, 11, 8))

    result = reminders_sync(case_id=case.pk)

    assert result.created == 8
    first = plan.installments.get(seq=1)
    rows = {(r.kind, r.installment_id or r.promise_id): r for r in Reminder.objects.all()}
    # 10:00 in Albany (EST, UTC-5) is 15:00 UTC.
    assert rows[("installment_due_soon", first.pk)].due_at == utc(2026, 11, 7, 15, 0)
    assert rows[("installment_due_today", first.pk)].due_at == utc(2026, 11, 10, 15, 0)
    assert rows[("installment_overdue", first.pk)].due_at == utc(2026, 11, 11, 15, 0)
    assert rows[("promise_due", promise.pk)].due_at == utc(2026, 11, 8, 15, 0)
    assert rows[("promise_broken", promise.pk)].due_at == utc(2026, 11, 9, 15, 0)
    reminder = rows[("promise_due", promise.pk)]
    assert reminder.channel == "sms"
    assert reminder.contact_point == case.mobile
    assert reminder.idempotency_key == f"promise_due:{promise.pk}:sms"
    assert reminder.language == "en"


def test_sync_twice_changes_nothing(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    active_plan(case, dues=[date(2026, 11, 10)])
    reminders_sync(case_id=case.pk)

    again = reminders_sync(case_id=case.pk)

    assert (again.created, again.cancelled, again.moved) == (0, 0, 0)
    assert Reminder.objects.count() == 3


def test_a_paid_installment_cancels_its_pending_reminders(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    plan = active_plan(case, dues=[date(2026, 11, 10), date(2026, 12, 10)])
    reminders_sync(case_id=case.pk)
    first = plan.installments.get(seq=1)
    first.status = "paid"
    first.paid_amount = first.amount
    first.save()

    result = reminders_sync(case_id=case.pk)

    assert result.cancelled == 3
    assert set(Reminder.objects.filter(installment=first).values_list("status", flat=True)) == {
        "cancelled"
    }
    assert Reminder.objects.filter(status="scheduled").count() == 3


def test_reminders_already_past_are_not_created_but_overdue_catches_up(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    active_plan(case, dues=[date(2026, 11, 1)])

    reminders_sync(case_id=case.pk)

    (overdue,) = Reminder.objects.all()
    assert overdue.kind == "installment_overdue"
    assert overdue.due_at == NOW


def test_us_debtor_without_sms_consent_gets_email(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=None)
    PromiseFactory(case=case, due_date=date(2026, 11, 8))

    reminders_sync(case_id=case.pk)

    assert set(Reminder.objects.values_list("channel", flat=True)) == {"email"}


def test_chinese_debtor_with_wechat_gets_wechat_in_chinese(clock, team, collector):
    case = cn_case(team=team, collector=collector)
    PromiseFactory(case=case, due_date=date(2026, 11, 8))

    reminders_sync(case_id=case.pk)

    reminder = Reminder.objects.get(kind="promise_due")
    assert reminder.channel == "wechat"
    assert reminder.language == "zh-hans"
    # 10:00 in Shanghai is 02:00 UTC.
    assert reminder.due_at == utc(2026, 11, 8, 2, 0)


def test_a_closed_case_loses_its_pending_reminders(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    PromiseFactory(case=case, due_date=date(2026, 11, 8))
    reminders_sync(case_id=case.pk)
    case.status = "closed"
    case.save()

    result = reminders_sync(case_id=case.pk)

    assert result.cancelled == 2
    assert not Reminder.objects.filter(status="scheduled").exists()


def test_a_catch_up_reminder_already_due_is_not_moved_by_a_later_sync(team, collector):
    with time_machine.travel(NOW, tick=False):
        case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
        active_plan(case, dues=[date(2026, 11, 1)])
        reminders_sync(case_id=case.pk)
    with time_machine.travel(utc(2026, 11, 5, 12, 30), tick=False):
        again = reminders_sync(case_id=case.pk)

    assert again.moved == 0
    assert Reminder.objects.get().due_at == NOW


def test_a_changed_due_date_moves_the_scheduled_reminder(clock, team, collector):
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    promise = PromiseFactory(case=case, due_date=date(2026, 11, 8))
    reminders_sync(case_id=case.pk)
    promise.due_date = date(2026, 11, 9)
    promise.save()

    result = reminders_sync(case_id=case.pk)

    assert result.moved == 2
    assert Reminder.objects.get(kind="promise_due").due_at == utc(2026, 11, 9, 15, 0)
