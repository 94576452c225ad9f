"""What providers post back: replies from debtors and delivery receipts.

A reply that says STOP (or 退订 / TD / 停止) records an opt-out for that channel and address
(a `channel_ban` restriction on the contact point: Reg F 1006.6(e), CTIA keywords, and the
Chinese guideline's unsubscribe instruction). Every reply is stored as an inbound contact
attempt (a fact of the ledger: US texts within 60 days count as the consumer's own channel).
Both are idempotent on the provider's message id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from collections_app.models import Case, ContactAttempt, ContactPoint, Reminder, ReminderStatus
from collections_app.models.case import OPEN_CASE_STATUSES
from messaging.models import DeliveryReceipt, InboundMessage, OutboundMessage, OutboundStatus

from .reminders import reminders_sync

OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "TD", "退订", "停止", "取消"}
)
KINDS_FOR_CHANNEL = {
    "sms": ("mobile", "landline", "work_phone"),
    "wechat": ("wechat",),
    "email": ("email",),
}
RECEIPT_STATUSES = frozenset({"delivered", "failed", "sent", "undelivered"})
# Any run of non-word characters (Unicode-aware: full-width punctuation included).
_PUNCTUATION = re.compile(r"[\W_]+")


def is_opt_out(text: str) -> bool:
    """The whole reply, or its first word, is an opt-out keyword ("STOP", "stop.", " 退订 ")."""
    cleaned = _PUNCTUATION.sub(" ", text or "").strip().upper()
    if not cleaned:
        return False
    return cleaned.replace(" ", "") in OPT_OUT_KEYWORDS or cleaned.split()[0] in OPT_OUT_KEYWORDS


def _normalise_address(channel: str, address: str) -> str:
    address = (address or "").strip()
    if channel == "sms":
        try:
            number = phonenumbers.parse(address, None if address.startswith("+") else "US")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            return address
    if channel == "email":
        # "Pat Doe <Pat@Example.org>" -> "pat@example.org"
        return (parseaddr(address)[1] or address).lower()
    return address


def contact_points_for_address(*, channel: str, address: str) -> list[ContactPoint]:
    value = _normalise_address(channel, address)
    kinds = KINDS_FOR_CHANNEL.get(channel, ())
    lookup = Q(value__iexact=value) if channel == "email" else Q(value=value)
    return list(
        ContactPoint.objects.filter(lookup, kind__in=kinds).select_related("debtor").order_by("id")
    )


@dataclass(frozen=True)
class InboundResult:
    message: InboundMessage
    created: bool
    opted_out: int


def inbound_record(
    *,
    channel: str,
    provider_message_id: str,
    sender: str,
    body: str,
    received_at: datetime | None = None,
) -> InboundResult:
    from compliance.services.outreach import attempts_import
    from compliance.services.restrictions import restriction_record

    now = timezone.now()
    received_at = min(received_at or now, now)
    points = contact_points_for_address(channel=channel, address=sender)
    opt_out = is_opt_out(body)
    with transaction.atomic():
        try:
            with transaction.atomic():
                message = InboundMessage.objects.create(
                    channel=channel,
                    provider_message_id=provider_message_id,
                    sender=sender,
                    body=body,
                    received_at=received_at,
                    contact_point=points[0] if points else None,
                    is_opt_out=opt_out,
                )
        except IntegrityError:
            existing = InboundMessage.objects.get(
                channel=channel, provider_message_id=provider_message_id
            )
            return InboundResult(message=existing, created=False, opted_out=0)
        if not points:
            return InboundResult(message=message, created=True, opted_out=0)
        reference = f"inbound:{channel}:{provider_message_id}"[:100]
        attempts_import(
            rows=[
                {
                    "contact_point": cp.pk,
                    "channel": channel,
                    "direction": "inbound",
                    "outcome": "delivered",
                    "occurred_at": received_at,
                    "notes": body[:1000],
                    # One reference per contact point: the same address may belong to two
                    # debtors (a shared family phone).
                    "external_reference": f"{reference}:{cp.pk}"[:100],
                }
                for cp in points
            ],
            actor=None,
        )
        message.attempt = ContactAttempt.objects.filter(
            source="import", external_reference=f"{reference}:{points[0].pk}"[:100]
        ).first()
        opted_out = 0
        if opt_out:
            for cp in points:
                restriction = restriction_record(
                    debtor=cp.debtor,
                    kind="channel_ban",
                    actor=None,
                    effective_at=received_at,
                    channel=channel,
                    contact_point=cp,
                    source_document=f"{channel} reply {provider_message_id}"[:300],
                    notes=body[:500],
                )
                message.restriction = message.restriction or restriction
                opted_out += 1
        message.save(update_fields=["attempt", "restriction"])
        debtor_ids = {cp.debtor_id for cp in points}
    if opt_out:
        # Pending reminders move to another channel the debtor has, or are cancelled.
        for case_id in Case.objects.filter(
            debtor_id__in=debtor_ids, status__in=OPEN_CASE_STATUSES
        ).values_list("pk", flat=True):
            reminders_sync(case_id=case_id)
    return InboundResult(message=message, created=True, opted_out=opted_out)


@dataclass(frozen=True)
class ReceiptResult:
    receipt: DeliveryReceipt
    created: bool
    matched: bool


def receipt_record(
    *,
    channel: str,
    provider_message_id: str,
    status: str,
    error: str = "",
    reported_at: datetime | None = None,
) -> ReceiptResult:
    """Store a delivery receipt and move the message (and its reminder) to delivered / failed."""
    now = timezone.now()
    status = "failed" if status == "undelivered" else status
    with transaction.atomic():
        receipt, created = DeliveryReceipt.objects.get_or_create(
            channel=channel,
            provider_message_id=provider_message_id,
            status=status,
            defaults={"error": error[:300], "reported_at": reported_at or now},
        )
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(channel=channel, provider_message_id=provider_message_id)
            .first()
        )
        if message is None:
            return ReceiptResult(receipt=receipt, created=created, matched=False)
        if receipt.attempt_id is None:
            receipt.attempt_id = message.attempt_id
            receipt.save(update_fields=["attempt"])
        if not created:
            return ReceiptResult(receipt=receipt, created=False, matched=True)
        if status == "delivered" and message.status == OutboundStatus.SENT:
            message.status = OutboundStatus.DELIVERED
            message.delivered_at = reported_at or now
            message.save(update_fields=["status", "delivered_at", "updated_at"])
        elif status == "failed" and message.status in (
            OutboundStatus.SENT,
            OutboundStatus.DELIVERED,
        ):
            message.status = OutboundStatus.FAILED
            message.error = error or "failed"
            message.save(update_fields=["status", "error", "updated_at"])
            if message.reminder_id:
                reminder = Reminder.objects.select_for_update().get(pk=message.reminder_id)
                reminder.status = ReminderStatus.FAILED
                reminder.last_error = error or "undelivered"
                reminder.save(update_fields=["status", "last_error", "updated_at"])
    return ReceiptResult(receipt=receipt, created=created, matched=True)
