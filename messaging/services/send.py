"""Handing one gate-approved attempt's message to its channel, at most once.

The OutboundMessage row (unique per attempt, status "sending") is committed before the provider
is called; the outcome is recorded afterwards on the message, on the attempt
(`attempt_record_outcome`) and on the reminder that caused it, if any. No lock is held while the
provider is called.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from collections_app.models import ContactAttempt, Reminder, ReminderStatus
from compliance.services.outreach_batch import attempt_record_outcome_many
from messaging.channels import OutgoingMessage, SendError, backend_for
from messaging.models import OutboundMessage, OutboundStatus

from .bulk import rows_update, rows_update_with_history
from .content import body_with_optout, language_for

log = logging.getLogger(__name__)

MESSAGE_CHANNELS = frozenset({"sms", "email", "wechat"})


class MessageRefused(ValueError):
    """The attempt cannot carry a message (wrong channel, already completed, ...)."""


def message_send_for_attempt(*, attempt_id: int, body: str, subject: str = "") -> None:
    """Send `body` (plus the opt-out line) for a gate-approved SMS / email / WeChat attempt and
    record its outcome. Call after commit (`transaction.on_commit`), never under a lock. A second
    call for the same attempt sends nothing."""
    attempt = ContactAttempt.objects.select_related("contact_point", "debtor").get(pk=attempt_id)
    if attempt.channel not in MESSAGE_CHANNELS:
        raise MessageRefused(f"channel {attempt.channel} carries no message")
    if attempt.direction != "outbound" or attempt.contact_point is None:
        raise MessageRefused("only an outbound attempt to a contact point carries a message")
    if attempt.decision_id is None:
        raise MessageRefused("the attempt has no compliance decision")
    if attempt.outcome and not OutboundMessage.objects.filter(attempt=attempt).exists():
        raise MessageRefused("the attempt is already completed")
    language = language_for(attempt.debtor.preferred_language)
    if not subject and attempt.channel == "email":
        with translation.override(language):
            subject = gettext("A message about your account")
    message, created = OutboundMessage.objects.get_or_create(
        attempt=attempt,
        defaults={
            "channel": attempt.channel,
            "recipient": attempt.contact_point.value,
            "subject": subject,
            "body": body_with_optout(body=body, channel=attempt.channel, language=language),
            "language": language,
            "idempotency_key": f"attempt:{attempt.pk}",
        },
    )
    if not created:
        return
    message_deliver(message_id=message.pk)


def outgoing(message: OutboundMessage) -> OutgoingMessage:
    """What a channel backend is handed for a stored message."""
    return OutgoingMessage(
        channel=message.channel,
        to=message.recipient,
        body=message.body,
        subject=message.subject,
        idempotency_key=message.idempotency_key,
    )


def message_deliver(*, message_id: int) -> str:
    """Call the provider for a message in status "sending" and record what happened."""
    message = OutboundMessage.objects.get(pk=message_id)
    if message.status != OutboundStatus.SENDING:
        return message.status
    error = ""
    provider_id = ""
    try:
        backend = backend_for(message.channel)
        provider_id = backend.send(outgoing(message))
    except SendError as exc:
        error = str(exc) or exc.__class__.__name__
        log.warning("message %s to %s failed: %s", message_id, message.channel, error)
    return message_record_outcome(message_id=message_id, provider_id=provider_id, error=error)


def message_record_outcome(*, message_id: int, provider_id: str, error: str) -> str:
    return messages_record_outcomes(outcomes=[(message_id, provider_id, error)])[message_id]


def messages_record_outcomes(*, outcomes: Sequence[tuple[int, str, str]]) -> dict[int, str]:
    """Record what the provider said for many messages `(message_id, provider_id, error)` in one
    transaction: on the message, on its attempt (sent / failed) and on its reminder, with their
    history rows. Returns each message's status afterwards."""
    now = timezone.now()
    given = {message_id: (provider_id, error) for message_id, provider_id, error in outcomes}
    with transaction.atomic():
        # Compare-and-swap under row locks: only the first outcome counts if two workers finish
        # the same send. Messages first, then debtors (in the outcome service), then reminders:
        # the order the single message path has always taken.
        messages = list(
            OutboundMessage.objects.select_for_update()
            .filter(pk__in=list(given), status=OutboundStatus.SENDING)
            .order_by("id")
        )
        status = {
            m["pk"]: m["status"]
            for m in OutboundMessage.objects.filter(pk__in=list(given))
            .exclude(pk__in=[m.pk for m in messages])
            .values("pk", "status")
        }
        if not messages:
            return status
        for message in messages:
            provider_id, error = given[message.pk]
            message.status = OutboundStatus.FAILED if error else OutboundStatus.SENT
            message.provider_message_id = provider_id[:200]
            message.error = error
            message.sent_at = None if error else now
            message.tries += 1
            message.updated_at = now
            status[message.pk] = message.status
        rows_update(
            OutboundMessage,
            messages,
            ["status", "provider_message_id", "error", "sent_at", "tries", "updated_at"],
        )
        already = attempt_record_outcome_many(
            outcomes={
                m.attempt_id: ("failed" if m.error else "sent", m.error[:500]) for m in messages
            },
            actor=None,
        )
        for attempt_id in already:
            # Already has an outcome (recorded by hand): the first word stands.
            log.info("attempt %s already had an outcome", attempt_id)
        by_reminder = {m.reminder_id: m for m in messages if m.reminder_id}
        reminders = list(
            Reminder.objects.select_for_update().filter(pk__in=list(by_reminder)).order_by("id")
        )
        for reminder in reminders:
            message = by_reminder[reminder.pk]
            reminder.status = ReminderStatus.FAILED if message.error else ReminderStatus.SENT
            reminder.last_error = message.error
            reminder.provider_message_id = message.provider_message_id[:100]
            reminder.sent_at = message.sent_at
            reminder.updated_at = now
        rows_update_with_history(
            Reminder,
            reminders,
            ["status", "last_error", "provider_message_id", "sent_at", "updated_at"],
            now=now,
        )
    return status
