"""What is owed, to whom."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .debtor import Debtor
from .scoping import ViaDebtorQuerySet


class Product(models.TextChoices):
    CREDIT_CARD = "credit_card", _("Credit card")
    PERSONAL_LOAN = "personal_loan", _("Personal loan")
    ONLINE_LOAN = "online_loan", _("Online loan")
    MORTGAGE = "mortgage", _("Mortgage")
    STUDENT_LOAN = "student_loan", _("Student loan")
    OTHER = "other", _("Other")


class Bucket(models.TextChoices):
    CURRENT = "M0", _("Current")
    M1 = "M1", "M1"
    M2 = "M2", "M2"
    M3 = "M3", "M3"
    M4 = "M4", "M4"
    M5 = "M5", "M5"
    M6 = "M6", "M6"
    M6_PLUS = "M6+", "M6+"

    @classmethod
    def for_days_past_due(cls, days: int) -> "Bucket":
        """M1 = 1-30 days past due, M2 = 31-60, ... M6 = 151-180, M6+ beyond."""
        if days <= 0:
            return cls.CURRENT
        month = (days - 1) // 30 + 1
        return cls.M6_PLUS if month > 6 else cls(f"M{month}")


class DebtStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    SETTLED = "settled", _("Settled")
    RECALLED = "recalled", _("Recalled by creditor")
    CHARGED_OFF = "charged_off", _("Charged off")
    CLOSED = "closed", _("Closed")


OPEN_DEBT_STATUSES = (DebtStatus.OPEN, DebtStatus.CHARGED_OFF)


class DebtQuerySet(ViaDebtorQuerySet):
    def open(self) -> "DebtQuerySet":
        return self.filter(status__in=OPEN_DEBT_STATUSES)


class Debt(models.Model):
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="debts")
    creditor = models.CharField(_("creditor"), max_length=200)
    account_number = models.CharField(_("account number"), max_length=64)
    product = models.CharField(_("product"), max_length=16, choices=Product.choices)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    principal = models.DecimalField(_("principal"), max_digits=14, decimal_places=2, default=0)
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=2)
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    bucket = models.CharField(
        _("delinquency bucket"), max_length=3, choices=Bucket.choices, default=Bucket.CURRENT
    )
    charge_off_date = models.DateField(_("charge-off date"), null=True, blank=True)
    statute_of_limitations_date = models.DateField(
        _("statute of limitations date"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=DebtStatus.choices, default=DebtStatus.OPEN
    )
    placed_at = models.DateTimeField(_("placed"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = DebtQuerySet.as_manager()

    class Meta:
        ordering = ["debtor_id", "id"]
        indexes = [models.Index(fields=["status", "bucket"])]
        constraints = [
            models.UniqueConstraint(
                fields=["creditor", "account_number"], name="debt_account_unique_per_creditor"
            ),
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="debt_balance_gte_0"),
            models.CheckConstraint(
                condition=models.Q(principal__gte=0), name="debt_principal_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(product__in=Product.values), name="debt_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creditor} {self.account_number}"

    def save(self, *args: object, **kwargs: object) -> None:
        # The bucket is a pure function of days past due; kept in the row so queues and
        # dashboards can filter and index on it.
        self.bucket = Bucket.for_days_past_due(self.days_past_due)
        super().save(*args, **kwargs)  # type: ignore[arg-type]
