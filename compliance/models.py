"""Restrictions, consents, decisions and the organisation's house policy."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from collections_app.models.scoping import ViaDebtorQuerySet


class RestrictionKind(models.TextChoices):
    CEASE_COMMUNICATION = "cease_communication", _("Cease communication")
    ATTORNEY_REPRESENTED = "attorney_represented", _("Represented by an attorney")
    DISPUTE = "dispute", _("Dispute")
    BANKRUPTCY = "bankruptcy", _("Bankruptcy")
    CHANNEL_BAN = "channel_ban", _("Channel or address opt-out")
    INCONVENIENT_TIME = "inconvenient_time", _("Inconvenient time")
    WORKPLACE = "workplace", _("No contact at work")
    DO_NOT_CONTACT = "do_not_contact", _("Do not contact")


class ContactRestriction(models.Model):
    debtor = models.ForeignKey(
        "collections_app.Debtor", on_delete=models.PROTECT, related_name="restrictions"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=RestrictionKind.choices)
    channel = models.CharField(_("channel"), max_length=8, blank=True)
    contact_point = models.ForeignKey(
        "collections_app.ContactPoint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="restrictions",
    )
    debts = models.ManyToManyField("collections_app.Debt", blank=True, related_name="+")
    effective_at = models.DateTimeField(_("effective from"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    # For inconvenient times: [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}].
    weekly_windows = models.JSONField(_("weekly windows"), default=list, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    source_document = models.CharField(_("source document"), max_length=300, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[debts])

    objects = ViaDebtorQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_at", "-id"]
        indexes = [models.Index(fields=["debtor", "effective_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("effective_at")),
                name="restriction_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RestrictionKind.values), name="restriction_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} from {self.effective_at:%Y-%m-%d}"


class ConsentKind(models.TextChoices):
    CALL_BACK = "call_back", _("Call-back")
    SMS = "sms", _("Text messages")
    EMAIL = "email", _("Email")
    INCONVENIENT_TIME = "inconvenient_time", _("Contact at an otherwise inconvenient time")


class Consent(models.Model):
    debtor = models.ForeignKey(
        "collections_app.Debtor", on_delete=models.PROTECT, related_name="consents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ConsentKind.choices)
    contact_point = models.ForeignKey(
        "collections_app.ContactPoint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
    )
    debts = models.ManyToManyField("collections_app.Debt", blank=True, related_name="+")
    given_at = models.DateTimeField(_("given"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[debts])

    objects = ViaDebtorQuerySet.as_manager()

    class Meta:
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["debtor", "given_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("given_at")),
                name="consent_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} given {self.given_at:%Y-%m-%d}"


class Purpose(models.TextChoices):
    CHECK = "check", _("Dry-run check")
    LIVE = "live", _("Live outreach")
    REMINDER = "reminder", _("Scheduled reminder")
    IMPORT = "import", _("Imported fact")
    ELIGIBILITY = "eligibility", _("Campaign eligibility")


class ComplianceDecision(models.Model):
    """Append-only: one row per evaluation, with every input needed to replay it."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    evaluated_at = models.DateTimeField(_("evaluated for"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    debtor = models.ForeignKey(
        "collections_app.Debtor", on_delete=models.PROTECT, related_name="decisions"
    )
    contact_point = models.ForeignKey(
        "collections_app.ContactPoint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    channel = models.CharField(max_length=8)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    allowed = models.BooleanField()
    reasons = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    inputs = models.JSONField(default=dict)
    engine_version = models.CharField(max_length=100, blank=True)

    objects = ViaDebtorQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["debtor", "created_at"], name="decision_debtor_time"),
            models.Index(fields=["allowed", "created_at"], name="decision_allowed_time"),
        ]

    def __str__(self) -> str:
        result = "allowed" if self.allowed else "blocked"
        return f"{result} {self.channel} {self.evaluated_at:%Y-%m-%d %H:%M}"


class HouseSettings(models.Model):
    """The organisation's own caps, stricter than the law. Empty means the law alone."""

    max_calls_per_7_days = models.PositiveIntegerField(null=True, blank=True)
    max_contacts_per_7_days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("all channels")
    )
    max_daily_attempts_per_contact_point = models.PositiveIntegerField(null=True, blank=True)
    earliest_local_time = models.TimeField(null=True, blank=True)
    latest_local_time = models.TimeField(null=True, blank=True)
    no_contact_on_public_holidays = models.BooleanField(default=False)
    no_contact_on_sundays = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("house policy")
        verbose_name_plural = _("house policy")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_calls_per_7_days__isnull=True)
                | models.Q(max_calls_per_7_days__lte=7),
                name="house_calls_not_looser_than_reg_f",
            ),
        ]

    def __str__(self) -> str:
        return "House policy"

    def save(self, *args: Any, **kwargs: Any) -> None:
        from compliance.services.house import house_policy_cache_clear

        super().save(*args, **kwargs)
        # The gate keeps the policy for HOUSE_CACHE_SECONDS; the process that changed it uses
        # the new one at once (the others within that time).
        transaction.on_commit(house_policy_cache_clear, using=kwargs.get("using"))

    def clean(self) -> None:
        from compliance.services.house import house_settings_validate

        errors = house_settings_validate(self)
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> "HouseSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class CaseFilter(models.Model):
    """A saved selection of cases for a dialer campaign: batch eligibility takes its id
    instead of a list of cases (`selectors.case_filter_cases` applies it, always within the
    caller's own visible cases). Owned by the user who saved it; only they see it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="case_filters",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=100)
    # Validated by serializers.CaseFilterParamsSerializer: status, team, assigned_to,
    # unassigned, bucket, product, country, region.
    params = models.JSONField(_("filter"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["owner_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="case_filter_owner_name")
        ]

    def __str__(self) -> str:
        return self.name


class DebtorFactsVersion(models.Model):
    """A counter per debtor that database triggers raise whenever anything the rules read
    about the debtor changes: the debtor, a contact point, a debt, a case's debts, a contact
    attempt (and the debts it concerned), a restriction, a consent
    (`compliance/db_triggers.py`). A stored eligibility answer holds only while the counter is
    where it was when the facts were read. No row means 0."""

    debtor_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"debtor {self.debtor_id} v{self.version}"


class EligibilityAnswer(models.Model):
    """A batch eligibility answer kept for as long as it holds: computed for `computed_at`, it
    is the answer at any instant before `valid_until` (`compliance.engine.stability`) while
    the debtor's facts (`facts_version`), the house policy and the rules are those it was
    computed with. The `then_*` fields hold the answer from `valid_until` to `then_until`,
    computed ahead by the refresher (`compliance.tasks.eligibility_refresh`) from the same
    facts, so a campaign that starts when the calling window opens finds its answers ready.
    A dialer's campaign list reads these instead of re-running the rules for every case. The
    gate never reads them. Answers nobody asked for in `ELIGIBILITY_KEEP_DAYS` are dropped."""

    case = models.ForeignKey(
        "collections_app.Case", on_delete=models.CASCADE, related_name="eligibility_answers"
    )
    channel = models.CharField(max_length=24)
    debtor_id = models.BigIntegerField()
    facts_version = models.BigIntegerField()
    house_key = models.CharField(max_length=64)
    engine_key = models.CharField(max_length=64)
    computed_at = models.DateTimeField()
    valid_until = models.DateTimeField()
    allowed = models.BooleanField()
    codes = models.JSONField(default=list)
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    contact_point_id = models.BigIntegerField(null=True, blank=True)
    then_until = models.DateTimeField(null=True, blank=True)
    then_allowed = models.BooleanField(null=True, blank=True)
    then_codes = models.JSONField(null=True, blank=True)
    then_next_allowed_at = models.DateTimeField(null=True, blank=True)
    then_contact_point_id = models.BigIntegerField(null=True, blank=True)
    # When someone last asked for it (to the hour): answers nobody asks for are let go.
    asked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "channel"], name="eligibility_case_channel"),
        ]
        indexes = [models.Index(fields=["valid_until"], name="eligibility_valid_until")]

    def __str__(self) -> str:
        return f"case {self.case_id} {self.channel} until {self.valid_until:%Y-%m-%d %H:%M}"
