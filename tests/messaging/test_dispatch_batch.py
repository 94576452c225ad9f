"""A batch of reminders through one task: the same states, messages and records as one task per
reminder, in a fixed number of queries. The clock is set explicitly (compliance hours)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import ContactAttempt, Reminder
from compliance.models import ComplianceDecision
from messaging.channels import PermanentSendError, local
from messaging.models import OutboundMessage
from messaging.services import dispatch
from messaging.services.content import reminder_render
from messaging.services.dispatch import reminder_process, reminders_claim_due
from messaging.services.dispatch_batch import reminders_process
from tests.factories import RestrictionFactory

from .conftest import promise_reminder, us_case, utc

pytestmark = pytest.mark.django_db

# 10:00 in Albany on Tuesday 10 November 2026.
MORNING = utc(2026, 11, 10, 15, 0)


def claim(django_capture_on_commit_callbacks) -> list[int]:  # type: ignore[no-untyped-def]
    got: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due(enqueue=got.extend)
    return got


def world(team, collector) -> list[Reminder]:  # type: ignore[no-untyped-def]
    """Reminders the dispatch answers in every way: two texts to one debtor (both sent), one
    ceased (cancelled), one late in the evening (deferred), one for a kept promise (no longer
    due), one broken promise (sent, the case re-queued)."""
    consent = utc(2026, 11, 1)
    texted = us_case(team=team, collector=collector, consent_at=consent)
    ceased = us_case(team=team, collector=collector, consent_at=consent)
    RestrictionFactory(
        debtor=ceased.debtor, kind="cease_communication", effective_at=utc(2026, 11, 2)
    )
    evening = us_case(team=team, collector=collector, consent_at=consent, timezone="Asia/Tokyo")
    kept = us_case(team=team, collector=collector, consent_at=consent)
    broken = us_case(team=team, collector=collector, consent_at=consent)
    reminders = [
        promise_reminder(texted, due_at=MORNING),
        promise_reminder(texted, due_at=MORNING, channel="email"),
        promise_reminder(ceased, due_at=MORNING),
        promise_reminder(evening, due_at=MORNING),
        promise_reminder(kept, due_at=MORNING),
        promise_reminder(broken, due_at=MORNING, kind="promise_broken"),
    ]
    reminders[4].promise.status = "kept"
    reminders[4].promise.save()
    return reminders


def snapshot(reminders: list[Reminder]) -> list[tuple]:
    rows = []
    for reminder in reminders:
        reminder.refresh_from_db()
        message = OutboundMessage.objects.filter(reminder=reminder).first()
        decision = ComplianceDecision.objects.filter(actor_label=f"reminder:{reminder.pk}").first()
        rows.append(
            (
                reminder.status,
                sorted(r["code"] for r in reminder.reasons),
                reminder.due_at,
                reminder.sent_at,
                message and (message.status, message.recipient, message.subject, message.body),
                decision and (decision.allowed, decision.reasons, decision.next_allowed_at),
                reminder.attempt and (reminder.attempt.outcome, reminder.attempt.source),
                reminder.history.count(),
                reminder.promise.status,
            )
        )
    return rows


def test_a_batch_ends_in_the_states_one_task_per_reminder_gives(
    team, collector, django_capture_on_commit_callbacks
):
    one_by_one = world(team, collector)
    batched = world(team, collector)
    with time_machine.travel(MORNING, tick=False):
        claimed = claim(django_capture_on_commit_callbacks)
        assert sorted(claimed) == sorted(r.pk for r in [*one_by_one, *batched])
        for reminder in one_by_one:
            reminder_process(reminder_id=reminder.pk)
        statuses = reminders_process(reminder_ids=[r.pk for r in batched])
    expected = snapshot(one_by_one)
    got = snapshot(batched)
    # The texts name other debtors and cases (their words are compared in the next test).
    assert [r[:4] + r[5:] for r in got] == [r[:4] + r[5:] for r in expected]
    assert [r[4] and r[4][:3] for r in got] == [r[4] and r[4][:3] for r in expected]
    assert [statuses[r.pk] for r in batched] == [
        "sent",
        "sent",
        "cancelled",
        "deferred",
        "cancelled",
        "sent",
    ]
    # Texts go to the SMS outbox, the email through Django's mail outbox.
    assert len(local.outbox) == 4
    assert len(mail.outbox) == 2


def test_the_text_of_a_batched_reminder_is_the_single_render(
    team, collector, django_capture_on_commit_callbacks
):
    reminders = world(team, collector)
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        reminders_process(reminder_ids=[r.pk for r in reminders])
    messages = OutboundMessage.objects.filter(reminder__in=reminders)
    assert messages.count() == 3
    for message in messages:
        reminder = Reminder.objects.get(pk=message.reminder_id)
        assert (message.subject, message.body) == reminder_render(reminder=reminder)


def test_the_second_text_to_a_debtor_in_a_batch_counts_the_first(
    team, collector, django_capture_on_commit_callbacks
):
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    first, second = (promise_reminder(case, due_at=MORNING) for _ in range(2))
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        reminders_process(reminder_ids=[second.pk, first.pk])
    first.refresh_from_db()
    second.refresh_from_db()
    decision = ComplianceDecision.objects.get(actor_label=f"reminder:{second.pk}")
    ledger = {e["id"] for e in decision.inputs["context"]["ledger"]}
    assert first.attempt_id in ledger
    assert (first.status, second.status) == ("sent", "sent")


def test_a_batch_delivered_twice_sends_each_reminder_once(
    team, collector, django_capture_on_commit_callbacks
):
    reminders = world(team, collector)
    ids = [r.pk for r in reminders]
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        first = reminders_process(reminder_ids=ids)
        again = reminders_process(reminder_ids=ids)
    assert again == first
    assert len(local.outbox) + len(mail.outbox) == 3
    assert ContactAttempt.objects.count() == 3
    assert OutboundMessage.objects.count() == 3


@pytest.mark.postgres  # the query count of the PostgreSQL path
def test_a_batch_takes_the_same_queries_for_five_debtors_or_fifteen(
    team, collector, django_capture_on_commit_callbacks
):
    def batch(n: int) -> list[int]:
        return [
            promise_reminder(
                us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1)),
                due_at=MORNING,
            ).pk
            for _ in range(n)
        ]

    def queries(ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as captured:
            statuses = reminders_process(reminder_ids=ids)
        assert set(statuses.values()) == {"sent"}
        return len(captured)

    warm, small, large = batch(1), batch(5), batch(15)
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        queries(warm)
        assert queries(small) == queries(large) <= 40


def test_the_scan_enqueues_claimed_reminders_in_batches(
    team, collector, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from messaging.tasks import reminders_send

    settings.MESSAGING_SEND_BATCH = 2
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    ids = [promise_reminder(case, due_at=MORNING).pk for _ in range(5)]
    sent: list[list[int]] = []
    monkeypatch.setattr(
        reminders_send, "apply_async", lambda args, **kwargs: sent.append(list(args[0]))
    )
    with (
        time_machine.travel(MORNING + timedelta(seconds=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert reminders_claim_due() == 5
    assert sent == [ids[0:2], ids[2:4], ids[4:5]]
    assert dispatch.SEND_BATCH >= 100


class PickyOutbox(local.LocmemBackend):
    """Refuses one number (like a gateway's 4xx) and breaks down on another."""

    refused = "+15185550199"
    broken = "+15185550198"

    def send(self, message):  # type: ignore[no-untyped-def]
        if message.to == self.refused:
            raise PermanentSendError("HTTP 400: invalid number")
        if message.to == self.broken:
            raise RuntimeError("provider library bug")
        return super().send(message)


def _texted_reminder(team, collector, number: str) -> Reminder:  # type: ignore[no-untyped-def]
    case = us_case(team=team, collector=collector, consent_at=utc(2026, 11, 1))
    case.debtor.contact_points.filter(kind="mobile").update(value=number)
    return promise_reminder(case, due_at=MORNING)


def test_a_refused_message_fails_alone_and_shows_why(
    team, collector, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "tests.messaging.test_dispatch_batch.PickyOutbox"
    refused = _texted_reminder(team, collector, PickyOutbox.refused)
    fine = _texted_reminder(team, collector, "+15185550123")
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        statuses = reminders_process(reminder_ids=[refused.pk, fine.pk])
    assert statuses == {refused.pk: "failed", fine.pk: "sent"}
    refused.refresh_from_db()
    assert "HTTP 400" in refused.last_error
    assert refused.attempt.outcome == "failed"
    assert [m.to for m in local.outbox] == ["+15185550123"]


def test_what_was_sent_before_a_send_blew_up_is_recorded(
    team, collector, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "tests.messaging.test_dispatch_batch.PickyOutbox"
    first = _texted_reminder(team, collector, "+15185550123")
    broken = _texted_reminder(team, collector, PickyOutbox.broken)
    with time_machine.travel(MORNING, tick=False):
        claim(django_capture_on_commit_callbacks)
        with pytest.raises(RuntimeError):
            reminders_process(reminder_ids=[first.pk, broken.pk])
    first.refresh_from_db()
    broken.refresh_from_db()
    # The first is recorded as sent; the second stays "sending" for the stuck-row scan, which
    # reports it as "delivery unknown" rather than sending it twice.
    assert (first.status, broken.status) == ("sent", "sending")
    assert OutboundMessage.objects.get(reminder=broken).status == "sending"
