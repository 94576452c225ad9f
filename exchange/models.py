"""Data exchanged with creditors, the core banking system and outside agencies.

An ImportBatch is one uploaded file and the job that applies it; its row errors are kept so the
sender can download them. Reconciliation exceptions are balances the core system and this one
disagree on, queued until someone resolves them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collections_app.models.scoping import CaseChildQuerySet

if TYPE_CHECKING:
    from accounts.models import User


class BatchKind(models.TextChoices):
    PLACEMENTS = "placements", _("Placements")
    PAYMENTS = "payments", _("Payment feed")
    RECALLS = "recalls", _("Recalls")
    AGENCY = "agency", _("Agency results")


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    VALIDATING = "validating", _("Checking rows")
    IMPORTING = "importing", _("Importing")
    SUCCEEDED = "succeeded", _("Imported")
    PARTIAL = "partial", _("Valid rows imported")
    REJECTED = "rejected", _("Rejected: nothing imported")
    FAILED = "failed", _("Failed: nothing imported")


FINISHED_STATUSES = (
    BatchStatus.SUCCEEDED,
    BatchStatus.PARTIAL,
    BatchStatus.REJECTED,
    BatchStatus.FAILED,
)


class ImportBatchQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ImportBatchQuerySet:
        """Managers see their teams' batches; auditors and admins all; collectors none."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_everything:
            return self.all()
        if user.is_manager:
            team_ids = list(user.managed_teams.values_list("id", flat=True))
            if user.team_id:
                team_ids.append(user.team_id)
            return self.filter(team_id__in=team_ids)
        return self.none()

    def writable_by(self, user: User) -> ImportBatchQuerySet:
        if not user.can_write:
            return self.none()
        return self.visible_to(user)


class ImportBatch(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=BatchKind.choices)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        related_name="import_batches",
        null=True,
        blank=True,
        verbose_name=_("team"),
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    valid_only = models.BooleanField(
        _("import the valid rows"),
        default=False,
        help_text=_("Off: one bad row rejects the whole file."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # What the batch did, by kind of row: {"debts_created": 10, "debts_updated": 2, ...}.
    summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(processed_rows__lte=models.F("total_rows")),
                name="import_batch_progress_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return int(self.processed_rows * 100 / self.total_rows)


class ImportRowError(models.Model):
    """One problem with one row: the report the sender downloads and fixes."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="errors")
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=64, blank=True)
    value = models.CharField(_("value"), max_length=300, blank=True)
    message = models.CharField(_("problem"), max_length=300)

    class Meta:
        ordering = ["batch_id", "row_number", "id"]

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}: {self.message}"


class PlacementKey(models.Model):
    """The creditor's own customer number, so a later file finds the same debtor again."""

    creditor = models.CharField(max_length=200)
    customer_id = models.CharField(max_length=64)
    debtor = models.ForeignKey(
        "collections_app.Debtor", on_delete=models.PROTECT, related_name="placement_keys"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["creditor", "customer_id"], name="placement_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.creditor} {self.customer_id}"


class ExceptionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Resolution(models.TextChoices):
    SYSTEM_CORRECT = "system_correct", _("Our balance is right; core system to correct")
    FEED_CORRECT = "feed_correct", _("Core balance is right; corrected here")
    EXPLAINED = "explained", _("Timing difference, no action")


class ReconciliationException(models.Model):
    """A debt whose balance in the core system's feed differs from ours."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="exceptions", null=True, blank=True
    )
    case = models.ForeignKey(
        "collections_app.Case", on_delete=models.PROTECT, related_name="reconciliation_exceptions"
    )
    debt = models.ForeignKey(
        "collections_app.Debt", on_delete=models.PROTECT, related_name="reconciliation_exceptions"
    )
    feed_balance = models.DecimalField(_("core system balance"), max_digits=14, decimal_places=2)
    system_balance = models.DecimalField(_("our balance"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN
    )
    resolution = models.CharField(
        _("resolution"), max_length=16, choices=Resolution.choices, blank=True
    )
    resolution_note = models.TextField(_("note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # One open exception per debt: a later feed updates it rather than piling up.
            models.UniqueConstraint(
                fields=["debt"],
                condition=models.Q(status="open"),
                name="one_open_reconciliation_per_debt",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open") | ~models.Q(resolution=""),
                name="resolved_exception_has_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.debt_id}: {self.feed_balance} vs {self.system_balance}"

    @property
    def difference(self):  # type: ignore[no-untyped-def]
        return self.feed_balance - self.system_balance
