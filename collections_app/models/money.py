"""Promises, plans, installments and payments. Money is Decimal; the database refuses
non-positive amounts and duplicate external references."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .case import Case
from .debt import Debt
from .scoping import CaseChildQuerySet, ScopedQuerySet

POSITIVE = models.Q(amount__gt=0)


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class PromiseToPay(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="promises")
    debt = models.ForeignKey(
        Debt, on_delete=models.PROTECT, related_name="promises", null=True, blank=True
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.PENDING
    )
    paid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attempt = models.ForeignKey(
        "collections_app.ContactAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promises",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"])]
        constraints = [
            models.CheckConstraint(condition=POSITIVE, name="promise_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(paid_amount__gte=0), name="promise_paid_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} due {self.due_date}"


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")


class RepaymentPlan(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(
        max_length=16, choices=PlanStatus.choices, default=PlanStatus.PROPOSED
    )
    total_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default="monthly")
    start_date = models.DateField(_("first installment"))
    # Settlement: the part of the balance forgiven if the plan completes.
    discount_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_amount__gt=0), name="plan_total_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_amount__gte=0), name="plan_discount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk}: {self.total_amount} {self.currency}"


class InstallmentQuerySet(ScopedQuerySet):
    case_path = "plan__case_id"


class Installment(models.Model):
    plan = models.ForeignKey(RepaymentPlan, on_delete=models.PROTECT, related_name="installments")
    seq = models.PositiveIntegerField()
    due_date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    paid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    status = models.CharField(
        max_length=10,
        choices=[
            ("due", _("Due")),
            ("paid", _("Paid")),
            ("partial", _("Partly paid")),
            ("missed", _("Missed")),
            ("cancelled", _("Cancelled")),
        ],
        default="due",
    )
    history = HistoricalRecords()

    objects = InstallmentQuerySet.as_manager()

    class Meta:
        ordering = ["plan_id", "seq"]
        indexes = [models.Index(fields=["status", "due_date"])]
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="installment_seq_unique"),
            models.CheckConstraint(condition=POSITIVE, name="installment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(paid_amount__gte=0), name="installment_paid_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.amount} due {self.due_date}"


class Payment(models.Model):
    """A payment received. Append-only; a reversal is a new row pointing at the original."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payments")
    debt = models.ForeignKey(Debt, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    received_at = models.DateTimeField(_("received"))
    method = models.CharField(_("method"), max_length=30, blank=True)
    # Idempotency: the same external reference is posted once.
    external_reference = models.CharField(max_length=100, null=True, blank=True, unique=True)
    installment = models.ForeignKey(
        Installment, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    promise = models.ForeignKey(
        PromiseToPay, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    source = models.CharField(max_length=20, default="manual")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["received_at"]),
            models.Index(fields=["debt", "received_at"]),
        ]
        constraints = [models.CheckConstraint(condition=POSITIVE, name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.received_at:%Y-%m-%d}"
