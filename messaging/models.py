"""What providers tell us: replies from debtors and delivery receipts for what we sent.

Both are append-only and idempotent on the provider's message id, so a provider that posts the
same webhook twice changes nothing the second time.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundStatus(models.TextChoices):
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class OutboundMessage(models.Model):
    """One message handed to a channel, for one gate-approved attempt (at most one per attempt:
    the row is committed in status "sending" before the provider is called)."""

    attempt = models.OneToOneField(
        "collections_app.ContactAttempt", on_delete=models.PROTECT, related_name="message"
    )
    reminder = models.ForeignKey(
        "collections_app.Reminder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    channel = models.CharField(_("channel"), max_length=8)
    recipient = models.CharField(_("to"), max_length=300)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    language = models.CharField(max_length=10, blank=True)
    # Sent to the provider so that a resend after a crash is recognised as the same message.
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(
        max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.SENDING
    )
    provider_message_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    tries = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["provider_message_id"], name="outbound_provider_id"),
            models.Index(fields=["status", "updated_at"], name="outbound_status_time"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} {self.status}"


class InboundMessage(models.Model):
    """A text a debtor sent us (a reply to a reminder, or a message out of the blue)."""

    channel = models.CharField(_("channel"), max_length=8)
    provider_message_id = models.CharField(max_length=100)
    sender = models.CharField(_("from"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received"))
    contact_point = models.ForeignKey(
        "collections_app.ContactPoint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    attempt = models.ForeignKey(
        "collections_app.ContactAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    is_opt_out = models.BooleanField(_("opt-out"), default=False)
    restriction = models.ForeignKey(
        "compliance.ContactRestriction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"], name="inbound_provider_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} from {self.sender}"


class DeliveryReceipt(models.Model):
    """A provider's report on a message we sent: delivered, or failed with its error."""

    channel = models.CharField(_("channel"), max_length=8)
    provider_message_id = models.CharField(max_length=100)
    status = models.CharField(_("status"), max_length=20)
    error = models.CharField(_("error"), max_length=300, blank=True)
    reported_at = models.DateTimeField(_("reported"))
    attempt = models.ForeignKey(
        "collections_app.ContactAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delivery_receipts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_message_id", "status"],
                name="receipt_provider_status_unique",
            ),
        ]
        indexes = [models.Index(fields=["provider_message_id"], name="receipt_provider_id")]

    def __str__(self) -> str:
        return f"{self.channel} {self.provider_message_id} {self.status}"
