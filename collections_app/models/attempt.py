"""The contact log: every attempt to reach a person, the ledger the compliance rules count."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from compliance.engine.context import DEBTOR
from compliance.engine.lookback import THIRD_PARTY_COMMUNICATED

from .case import Case
from .debt import Debt
from .debtor import ContactPoint, Debtor
from .scoping import ViaDebtorQuerySet


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")
    WECHAT = "wechat", _("WeChat")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    INBOUND = "inbound", _("Inbound")


class Outcome(models.TextChoices):
    BUSY = "busy", _("Busy")
    NOT_IN_SERVICE = "not_in_service", _("Not in service")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL_NO_MESSAGE = "voicemail_no_message", _("Voicemail, no message left")
    VOICEMAIL = "voicemail", _("Voicemail left")
    LIMITED_CONTENT_MESSAGE = "limited_content_message", _("Limited-content message")
    ANSWERED_DROPPED = "answered_dropped", _("Answered, dropped")
    CONVERSATION = "conversation", _("Conversation")
    WRONG_PARTY = "wrong_party", _("Wrong party")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    VISITED = "visited", _("Visited")
    NOT_HOME = "not_home", _("Not at home")


class Source(models.TextChoices):
    LIVE = "live", _("Live")
    REMINDER = "reminder", _("Reminder")
    IMPORT = "import", _("Import")


class AttemptStatus(models.TextChoices):
    INITIATED = "initiated", _("Initiated")
    COMPLETED = "completed", _("Completed")


class ContactAttemptQuerySet(ViaDebtorQuerySet):
    """Attempts are visible with their debtor: a collector working a case sees the whole ledger
    the rules count, including attempts made under other cases of the same person."""


class ContactAttempt(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="attempts", null=True, blank=True
    )
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="attempts")
    contact_point = models.ForeignKey(
        ContactPoint, on_delete=models.PROTECT, related_name="attempts", null=True, blank=True
    )
    # "debtor", or the third party reached at the contact point (its own person for the rules).
    person = models.CharField(_("person contacted"), max_length=12, default="debtor")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.OUTBOUND
    )
    debts = models.ManyToManyField(Debt, related_name="attempts", blank=True)
    debts_discussed = models.ManyToManyField(Debt, related_name="+", blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    status = models.CharField(
        max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.INITIATED
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attempts",
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.LIVE)
    decision = models.ForeignKey(
        "compliance.ComplianceDecision",
        on_delete=models.PROTECT,
        related_name="attempts",
        null=True,
        blank=True,
    )
    flagged = models.BooleanField(_("flagged"), default=False)
    flag_reasons = models.JSONField(default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # A correction is a new attempt that points at the one it corrects.
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    external_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[debts_discussed])

    objects = ContactAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["debtor", "occurred_at"], name="attempt_debtor_time"),
            models.Index(fields=["contact_point", "occurred_at"], name="attempt_cp_time"),
            models.Index(fields=["actor", "occurred_at"], name="attempt_actor_time"),
            models.Index(fields=["case", "occurred_at"], name="attempt_case_time"),
            models.Index(fields=["occurred_at"], name="attempt_time"),
            # The facts older than the counting window that a rule still reads
            # (`compliance.engine.lookback.keeps_older`): the gate finds them without
            # scanning a debtor's whole history.
            models.Index(
                fields=["debtor", "occurred_at"],
                name="attempt_debtor_lookback",
                condition=models.Q(direction="inbound", channel__in=("email", "sms"))
                | (
                    models.Q(outcome__in=sorted(THIRD_PARTY_COMMUNICATED))
                    & ~models.Q(person__in=("", DEBTOR))
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="attempt_channel"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome="") | models.Q(outcome__in=Outcome.values),
                name="attempt_outcome",
            ),
            models.UniqueConstraint(
                fields=["source", "external_reference"],
                condition=~models.Q(external_reference=""),
                name="attempt_external_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d %H:%M} {self.outcome}"
