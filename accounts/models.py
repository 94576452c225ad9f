"""Users, their role, and teams."""

from binascii import unhexlify
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from simple_history.models import HistoricalRecords

from collections_app.fields import EncryptedTextField


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


class AuthEventKind(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGOUT = "logout", _("Logged out")
    LOGIN_FAILED = "login_failed", _("Failed log-in")
    LOCKED_OUT = "locked_out", _("Locked out")
    OTP_ENROLLED = "otp_enrolled", _("Authenticator enrolled")
    OTP_VERIFIED = "otp_verified", _("Second factor verified")
    OTP_FAILED = "otp_failed", _("Second factor refused")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    IDLE_TIMEOUT = "idle_timeout", _("Session ended after inactivity")


class AuthEvent(models.Model):
    """Append-only record of authentication events (ASVS V7: who, what, when, from where).

    The username is kept as typed (truncated) so failures for unknown users are visible too;
    a password never reaches this table.
    """

    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="auth_events",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=AuthEventKind.choices)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["username", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AuthEventKind.values), name="auth_event_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"


UNDECRYPTABLE = "<undecryptable>"  # what EncryptedTextField reads when no key opens a value


class Authenticator(TimestampMixin, ThrottlingMixin, Device):
    """A TOTP authenticator app enrolled as a second factor, its secret encrypted at rest.

    django-otp's own TOTP device keeps the shared secret as plain hex: anyone who reads the
    table (a backup, a replica, a support query) could mint the user's codes. Here the secret
    is Fernet-encrypted with FIELD_ENCRYPTION_KEYS like the debtors' personal data. The fields
    and their meaning are django-otp's (RFC 6238); verification, throttling and the
    provisioning URL are its code, which reads only these fields and `bin_key`.
    """

    key = EncryptedTextField(_("secret"), default=default_key)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    @property
    def bin_key(self) -> bytes:
        if self.key == UNDECRYPTABLE:
            # Fail closed and say why: codes from a wrong key must never be accepted.
            raise ImproperlyConfigured(
                "An authenticator secret cannot be decrypted: its key is missing from "
                "FIELD_ENCRYPTION_KEYS."
            )
        return unhexlify(self.key.encode())

    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings  # used by config_url
