"""Users, their role, and teams."""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    MANAGER = "manager", _("Manager")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_teams",
        verbose_name=_("manager"),
    )
    case_capacity = models.PositiveIntegerField(
        _("case capacity per collector"), default=300, validators=[MinValueValidator(1)]
    )
    regions = models.JSONField(_("regions served"), default=list, blank=True)
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.COLLECTOR)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )
    # Skills used by automatic allocation.
    regions = models.JSONField(_("regions"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    # Authority limits: beyond them a settlement or plan needs a manager's approval.
    max_discount_pct = models.DecimalField(
        _("maximum settlement discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    max_plan_months = models.PositiveIntegerField(_("maximum plan length (months)"), default=12)
    monthly_target = models.DecimalField(
        _("monthly collection target"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    history = HistoricalRecords(excluded_fields=["last_login", "password"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(max_discount_pct__gte=0, max_discount_pct__lte=100),
                name="user_discount_pct_range",
            ),
        ]

    @property
    def is_collector(self) -> bool:
        return self.role == Role.COLLECTOR

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_auditor(self) -> bool:
        return self.role == Role.AUDITOR

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def sees_everything(self) -> bool:
        """Auditors and admins read across every team."""
        return self.is_auditor or self.is_admin_role

    @property
    def can_write(self) -> bool:
        """Auditors read; they never change anything."""
        return self.is_active and not self.is_auditor
