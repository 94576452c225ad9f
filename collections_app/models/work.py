"""Notes, follow-ups and scheduled reminders."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .case import Case
from .debtor import ContactPoint
from .money import Installment, PromiseToPay
from .scoping import CaseChildQuerySet


class Note(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:60]


class FollowUp(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_ups")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(_("due"))
    reason = models.CharField(_("reason"), max_length=200)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["assigned_to", "done_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.reason} ({self.due_at:%Y-%m-%d %H:%M})"


class ReminderKind(models.TextChoices):
    INSTALLMENT_DUE_SOON = "installment_due_soon", _("Installment due soon")
    INSTALLMENT_DUE_TODAY = "installment_due_today", _("Installment due today")
    INSTALLMENT_OVERDUE = "installment_overdue", _("Installment overdue")
    PROMISE_DUE = "promise_due", _("Promise due")
    PROMISE_BROKEN = "promise_broken", _("Promise broken")


class ReminderStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CLAIMED = "claimed", _("Claimed")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DEFERRED = "deferred", _("Deferred")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class Reminder(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    channel = models.CharField(max_length=8, default="sms")
    contact_point = models.ForeignKey(
        ContactPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="reminders"
    )
    installment = models.ForeignKey(
        Installment, on_delete=models.PROTECT, null=True, blank=True, related_name="reminders"
    )
    promise = models.ForeignKey(
        PromiseToPay, on_delete=models.PROTECT, null=True, blank=True, related_name="reminders"
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.SCHEDULED
    )
    # At most one send per reminder: the key is unique, and the state moves to "sending" in a
    # committed transaction before the provider is called.
    idempotency_key = models.CharField(max_length=100, unique=True)
    tries = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True)
    last_error = models.TextField(blank=True)
    language = models.CharField(max_length=10, blank=True)
    attempt = models.OneToOneField(
        "collections_app.ContactAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reminder",
    )
    provider_message_id = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} {self.status}"
