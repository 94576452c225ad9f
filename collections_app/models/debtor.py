"""The person who owes, and the ways to reach them."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from collections_app.fields import EncryptedTextField

from .scoping import ViaDebtorQuerySet


class DebtorQuerySet(ViaDebtorQuerySet):
    debtor_path = ""


class Debtor(models.Model):
    full_name = models.CharField(_("full name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text="ISO 3166-1 alpha-2")
    region = models.CharField(
        _("region"), max_length=10, blank=True, help_text="US state or CN province code"
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    address = models.TextField(_("address"), blank=True)
    timezone = models.CharField(
        _("verified time zone"), max_length=64, blank=True, help_text="IANA name, if verified"
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=[("en", "English"), ("zh-hans", "简体中文")],
        default="en",
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    national_id = EncryptedTextField(_("national id"), blank=True)
    national_id_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    monthly_income = models.DecimalField(
        _("monthly income"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    monthly_expenses = models.DecimalField(
        _("monthly expenses"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    assets = models.JSONField(_("assets"), default=list, blank=True)
    deceased = models.BooleanField(_("deceased"), default=False)
    risk_score = models.IntegerField(_("risk score"), null=True, blank=True)
    segment = models.CharField(_("segment"), max_length=50, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["national_id"])

    objects = DebtorQuerySet.as_manager()

    class Meta:
        ordering = ["full_name", "id"]
        indexes = [models.Index(fields=["full_name"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_income__isnull=True) | models.Q(monthly_income__gte=0),
                name="debtor_income_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_expenses__isnull=True)
                | models.Q(monthly_expenses__gte=0),
                name="debtor_expenses_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class ContactPointKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")
    WORK_PHONE = "work_phone", _("Work phone")
    EMAIL = "email", _("Email")
    POSTAL = "postal", _("Postal address")
    WECHAT = "wechat", _("WeChat")


PHONE_KINDS = frozenset({ContactPointKind.MOBILE, ContactPointKind.LANDLINE, "work_phone"})


class Owner(models.TextChoices):
    DEBTOR = "debtor", _("Debtor")
    THIRD_PARTY = "third_party", _("Third party")


class ContactPointQuerySet(ViaDebtorQuerySet):
    pass


class ContactPoint(models.Model):
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=12, choices=ContactPointKind.choices)
    value = models.CharField(_("value"), max_length=300, help_text="phones in E.164")
    owner = models.CharField(_("owner"), max_length=12, choices=Owner.choices, default="debtor")
    relationship = models.CharField(_("relationship"), max_length=50, blank=True)
    is_employer_provided = models.BooleanField(_("employer-provided"), default=False)
    is_verified = models.BooleanField(_("verified"), default=False)
    wrong_number = models.BooleanField(_("wrong number"), default=False)
    wrong_number_at = models.DateTimeField(null=True, blank=True)
    # Every plausible zone of the person at this contact point: [{"zone": ..., "source": ...}].
    timezones = models.JSONField(_("time zones"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        ordering = ["debtor_id", "id"]
        indexes = [models.Index(fields=["value"])]
        constraints = [
            models.UniqueConstraint(
                fields=["debtor", "kind", "value"], name="contact_point_unique_per_debtor"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ContactPointKind.values), name="contact_point_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(owner="debtor") | ~models.Q(relationship=""),
                name="third_party_has_relationship",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    @property
    def is_phone(self) -> bool:
        return self.kind in PHONE_KINDS
