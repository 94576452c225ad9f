"""Handing one gate-approved attempt's message to its channel, at most once.

The OutboundMessage row (unique per attempt, status "sending") is committed before the provider
is called; the outcome is recorded afterwards on the message, on the attempt
(`attempt_record_outcome`) and on the reminder that caused it, if any. No lock is held while the
provider is called.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from collections_app.models import ContactAttempt, Reminder, ReminderStatus
from messaging.channels import OutgoingMessage, SendError, backend_for
from messaging.models import OutboundMessage, OutboundStatus

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


def message_deliver(*, message_id: int) -> str:
    """Call the provider for a message in status "sending" and record what happened."""
    message = OutboundMessage.objects.get(pk=message_id)
    if message.status != OutboundStatus.SENDING:
        return message.status
    error = ""
    provider_id = ""
    try:
        backend = backend_for(message.channel)
        provider_id = backend.send(
            OutgoingMessage(
                channel=message.channel,
                to=message.recipient,
                body=message.body,
                subject=message.subject,
                idempotency_key=message.idempotency_key,
            )
        )
    except SendError as exc:
        error = str(exc) or exc.__class__.__name__
        log.warning("message %s to %s failed: %s", message_id, message.channel, error)
    return message_record_outcome(message_id=message_id, provider_id=provider_id, error=error)


def message_record_outcome(*, message_id: int, provider_id: str, error: str) -> str:
    from compliance.services.outreach import attempt_record_outcome

    now = timezone.now()
    status = OutboundStatus.FAILED if error else OutboundStatus.SENT
    with transaction.atomic():
        # Compare-and-swap: only the first outcome counts if two workers finish the same send.
        changed = OutboundMessage.objects.filter(
            pk=message_id, status=OutboundStatus.SENDING
        ).update(
            status=status,
            provider_message_id=provider_id[:200],
            error=error,
            sent_at=None if error else now,
            tries=F("tries") + 1,
            updated_at=now,
        )
        message = OutboundMessage.objects.only("status", "attempt_id", "reminder_id").get(
            pk=message_id
        )
        if not changed:
            return message.status
        try:
            attempt_record_outcome(
                attempt_id=message.attempt_id,
                outcome="failed" if error else "sent",
                actor=None,
                notes=error[:500],
            )
        except ValidationError:
            # Already has an outcome (recorded by hand): the first word stands.
            log.info("attempt %s already had an outcome", message.attempt_id)
        if message.reminder_id:
            reminder = Reminder.objects.select_for_update().get(pk=message.reminder_id)
            reminder.status = ReminderStatus.FAILED if error else ReminderStatus.SENT
            reminder.last_error = error
            reminder.provider_message_id = provider_id[:100]
            reminder.sent_at = None if error else now
            reminder.save(
                update_fields=[
                    "status",
                    "last_error",
                    "provider_message_id",
                    "sent_at",
                    "updated_at",
                ]
            )
    return status
