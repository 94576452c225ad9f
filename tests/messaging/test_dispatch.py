"""The scan and the send task, in process (the worker tests drive the same code through a real
broker). The clock is set explicitly: the compliance hours depend on it."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from collections_app.models import ContactAttempt, Reminder
from compliance.models import ComplianceDecision
from messaging.channels import local
from messaging.models import OutboundMessage
from messaging.services.dispatch import reminder_process, reminders_claim_due
from tests.factories import RestrictionFactory

from .conftest import promise_reminder, us_case, utc

pytestmark = pytest.mark.django_db

# 10:00 in Albany on Tuesday 10 November 2026.
MORNING = utc(2026, 11, 10, 15, 0)
# 22:30 in Albany: outside the 08:00-21:00 window of Regulation F.
LATE_EVENING = utc(2026, 11, 11, 3, 30)


class IdempotentOutbox(local.LocmemBackend):
    """A gateway that drops a second copy of the same message, like the HTTP gateway."""

    idempotent = True
    seen: set[str] = set()

    def send(self, message):  # type: ignore[no-untyped-def]
        if message.idempotency_key in self.seen:
            return "dup"
        self.seen.add(message.idempotency_key)
        return super().send(message)


@pytest.fixture
def case(team, collector):  # type: ignore[no-untyped-def]
    return us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))


def claim(django_capture_on_commit_callbacks, **kwargs) -> list[int]:  # type: ignore[no-untyped-def]
    got: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due(enqueue=got.extend, **kwargs)
    return got


def test_a_due_reminder_is_claimed_sent_once_and_logged_as_a_reminder_attempt(
    case, django_capture_on_commit_callbacks
):
    reminder = promise_reminder(case, due_at=MORNING)
    with time_machine.travel(MORNING + timedelta(seconds=30), tick=False):
        assert claim(django_capture_on_commit_callbacks) == [reminder.pk]
        assert reminder_process(reminder_id=reminder.pk) == "sent"
        # A second delivery of the same task finds it done.
        assert reminder_process(reminder_id=reminder.pk) == "sent"

    reminder.refresh_from_db()
    assert reminder.status == "sent"
    assert reminder.sent_at == MORNING + timedelta(seconds=30)
    (message,) = local.outbox
    assert message.to == "+15185550123"
    assert "150.00 USD" in message.body
    assert message.body.endswith("Reply STOP to opt out.")
    attempt = ContactAttempt.objects.get()
    assert (attempt.source, attempt.channel, attempt.outcome) == ("reminder", "sms", "sent")
    assert reminder.attempt == attempt
    assert attempt.decision.purpose == "reminder"
    assert attempt.decision.actor_label == f"reminder:{reminder.pk}"


def test_a_reminder_not_yet_due_is_not_claimed(case, django_capture_on_commit_callbacks):
    promise_reminder(case, due_at=MORNING)
    with time_machine.travel(MORNING - timedelta(minutes=1), tick=False):
        assert claim(django_capture_on_commit_callbacks) == []


def test_late_evening_reminder_is_deferred_to_the_morning_window_then_sent(
    case, django_capture_on_commit_callbacks
):
    reminder = promise_reminder(case, due_at=LATE_EVENING)
    with time_machine.travel(LATE_EVENING, tick=False):
        claim(django_capture_on_commit_callbacks)
        assert reminder_process(reminder_id=reminder.pk) == "deferred"

    reminder.refresh_from_db()
    assert reminder.status == "deferred"
    assert "OUTSIDE_CONTACT_HOURS" in {r["code"] for r in reminder.reasons}
    # 08:00 in Albany the next morning.
    assert reminder.due_at == utc(2026, 11, 11, 13, 0)
    assert local.outbox == []
    assert not ContactAttempt.objects.exists()

    with time_machine.travel(utc(2026, 11, 11, 12, 59), tick=False):
        assert claim(django_capture_on_commit_callbacks) == []
    with time_machine.travel(utc(2026, 11, 11, 13, 0), tick=False):
        assert claim(django_capture_on_commit_callbacks) == [reminder.pk]
        assert reminder_process(reminder_id=reminder.pk) == "sent"
    assert len(local.outbox) == 1


def test_cease_communication_cancels_the_reminder_with_its_reason(
    case, django_capture_on_commit_callbacks
):
    RestrictionFactory(
        debtor=case.debtor, kind="cease_communication", effective_at=utc(2026, 11, 2)
    )
    reminder = promise_reminder(case, due_at=MORNING)
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        assert reminder_process(reminder_id=reminder.pk) == "cancelled"

    reminder.refresh_from_db()
    assert "CEASE_COMMUNICATION" in {r["code"] for r in reminder.reasons}
    assert local.outbox == []
    assert not ContactAttempt.objects.exists()
    assert ComplianceDecision.objects.get().allowed is False


def test_broken_promise_marks_it_broken_and_requeues_the_case(
    case, django_capture_on_commit_callbacks
):
    reminder = promise_reminder(case, due_at=MORNING, kind="promise_broken")
    priority = case.priority
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        assert reminder_process(reminder_id=reminder.pk) == "sent"

    reminder.promise.refresh_from_db()
    case.refresh_from_db()
    assert reminder.promise.status == "broken"
    assert case.next_action_at == MORNING
    assert case.priority > priority
    assert "did not receive" in local.outbox[0].body


def test_a_kept_promise_cancels_its_reminder_at_send_time(case, django_capture_on_commit_callbacks):
    reminder = promise_reminder(case, due_at=MORNING)
    reminder.promise.status = "kept"
    reminder.promise.save()
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        assert reminder_process(reminder_id=reminder.pk) == "cancelled"
    assert local.outbox == []
    assert not ComplianceDecision.objects.exists()


def test_a_claimed_reminder_whose_task_was_lost_is_enqueued_again(
    case, django_capture_on_commit_callbacks, settings
):
    settings.MESSAGING_STUCK_AFTER_SECONDS = 300
    reminder = promise_reminder(case, due_at=MORNING)
    with time_machine.travel(MORNING, tick=False):
        assert claim(django_capture_on_commit_callbacks) == [reminder.pk]
    with time_machine.travel(MORNING + timedelta(minutes=2), tick=False):
        assert claim(django_capture_on_commit_callbacks) == []
    with time_machine.travel(MORNING + timedelta(minutes=6), tick=False):
        assert claim(django_capture_on_commit_callbacks) == [reminder.pk]
        assert reminder_process(reminder_id=reminder.pk) == "sent"
    assert len(local.outbox) == 1


def _interrupt_after_reserve(reminder):  # type: ignore[no-untyped-def]
    """The state a worker killed during the provider call leaves behind."""
    from compliance.services.outreach import outreach_reserve

    result = outreach_reserve(
        contact_point=reminder.contact_point,
        channel="sms",
        actor=None,
        case=reminder.case,
        source="reminder",
        purpose="reminder",
    )
    OutboundMessage.objects.create(
        attempt=result.attempt,
        reminder=reminder,
        channel="sms",
        recipient=reminder.contact_point.value,
        body="text",
        idempotency_key=f"reminder:{reminder.idempotency_key}",
    )
    Reminder.objects.filter(pk=reminder.pk).update(
        status="sending", attempt=result.attempt, updated_at=timezone.now()
    )


def test_interrupted_send_through_a_non_idempotent_channel_is_failed_not_repeated(case, settings):
    settings.MESSAGING_STUCK_AFTER_SECONDS = 60
    reminder = promise_reminder(case, due_at=MORNING)
    with time_machine.travel(MORNING, tick=False):
        _interrupt_after_reserve(reminder)
    with time_machine.travel(MORNING + timedelta(seconds=30), tick=False):
        # Not stuck yet: another worker may still be sending it.
        assert reminder_process(reminder_id=reminder.pk) == "sending"
    with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
        assert reminder_process(reminder_id=reminder.pk) == "failed"
    reminder.refresh_from_db()
    assert "delivery unknown" in reminder.last_error
    assert local.outbox == []


def test_interrupted_send_through_an_idempotent_gateway_is_resumed(case, settings):
    settings.MESSAGING_STUCK_AFTER_SECONDS = 60
    settings.SMS_BACKEND = "tests.messaging.test_dispatch.IdempotentOutbox"
    IdempotentOutbox.seen = set()
    reminder = promise_reminder(case, due_at=MORNING)
    with time_machine.travel(MORNING, tick=False):
        _interrupt_after_reserve(reminder)
    with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
        assert reminder_process(reminder_id=reminder.pk) == "sent"
        assert reminder_process(reminder_id=reminder.pk) == "sent"
    assert len(local.outbox) == 1
    assert ContactAttempt.objects.count() == 1


def test_a_stuck_backlog_is_enqueued_again_once_per_stuck_period(
    case, django_capture_on_commit_callbacks, settings
):
    settings.MESSAGING_STUCK_AFTER_SECONDS = 300
    reminder = promise_reminder(case, due_at=MORNING)
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
    with time_machine.travel(MORNING + timedelta(minutes=6), tick=False):
        assert claim(django_capture_on_commit_callbacks) == [reminder.pk]
    with time_machine.travel(MORNING + timedelta(minutes=7), tick=False):
        assert claim(django_capture_on_commit_callbacks) == []
    with time_machine.travel(MORNING + timedelta(minutes=12), tick=False):
        assert claim(django_capture_on_commit_callbacks) == [reminder.pk]


def test_beat_runs_the_scan_every_minute():
    from config.celery import app
    from config.settings import base

    entry = base.CELERY_BEAT_SCHEDULE["reminders-dispatch"]
    assert entry == {"task": "messaging.tasks.reminders_dispatch_due", "schedule": 60.0}
    app.loader.import_default_modules()
    assert "messaging.tasks.reminders_dispatch_due" in app.tasks
    assert "messaging.tasks.reminders_send" in app.tasks
    assert "messaging.tasks.reminder_send" in app.tasks


@pytest.mark.postgres  # the query count of the PostgreSQL path
def test_one_send_uses_a_bounded_number_of_queries(
    case, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    reminders = [promise_reminder(case, due_at=MORNING) for _ in range(2)]
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        reminder_process(reminder_id=reminders[0].pk)
        with django_assert_max_num_queries(40):
            assert reminder_process(reminder_id=reminders[1].pk) == "sent"
