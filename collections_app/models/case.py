"""The case: the unit of work, with its state machine."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .debt import Debt
from .debtor import Debtor
from .scoping import CaseChildQuerySet, ScopedQuerySet


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    ACTIVE = "active", _("Active")
    PROMISE_TO_PAY = "promise_to_pay", _("Promise to pay")
    PAYMENT_PLAN = "payment_plan", _("Payment plan")
    DISPUTED = "disputed", _("Disputed")
    LEGAL = "legal", _("Legal")
    AGENCY = "agency", _("With agency")
    PAID = "paid", _("Paid")
    SETTLED = "settled", _("Settled")
    CLOSED = "closed", _("Closed")


S = CaseStatus
# The only place allowed status transitions are written down.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset(
        {
            S.ACTIVE,
            S.PROMISE_TO_PAY,
            S.PAYMENT_PLAN,
            S.DISPUTED,
            S.LEGAL,
            S.AGENCY,
            S.PAID,
            S.SETTLED,
            S.CLOSED,
        }
    ),
    S.ACTIVE: frozenset(
        {
            S.PROMISE_TO_PAY,
            S.PAYMENT_PLAN,
            S.DISPUTED,
            S.LEGAL,
            S.AGENCY,
            S.PAID,
            S.SETTLED,
            S.CLOSED,
        }
    ),
    S.PROMISE_TO_PAY: frozenset(
        {S.ACTIVE, S.PAYMENT_PLAN, S.DISPUTED, S.LEGAL, S.AGENCY, S.PAID, S.SETTLED, S.CLOSED}
    ),
    S.PAYMENT_PLAN: frozenset(
        {S.ACTIVE, S.PROMISE_TO_PAY, S.DISPUTED, S.LEGAL, S.AGENCY, S.PAID, S.SETTLED, S.CLOSED}
    ),
    S.DISPUTED: frozenset({S.ACTIVE, S.LEGAL, S.CLOSED}),
    S.LEGAL: frozenset({S.ACTIVE, S.AGENCY, S.PAYMENT_PLAN, S.PAID, S.SETTLED, S.CLOSED}),
    S.AGENCY: frozenset({S.ACTIVE, S.LEGAL, S.PAYMENT_PLAN, S.PAID, S.SETTLED, S.CLOSED}),
    S.PAID: frozenset({S.ACTIVE, S.CLOSED}),
    S.SETTLED: frozenset({S.ACTIVE, S.CLOSED}),
    S.CLOSED: frozenset({S.ACTIVE}),
}
OPEN_CASE_STATUSES = (
    S.NEW,
    S.ACTIVE,
    S.PROMISE_TO_PAY,
    S.PAYMENT_PLAN,
    S.DISPUTED,
    S.LEGAL,
    S.AGENCY,
)


class CaseQuerySet(ScopedQuerySet):
    case_path = ""

    def open(self) -> "CaseQuerySet":
        return self.filter(status__in=OPEN_CASE_STATUSES)


class Case(models.Model):
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="cases")
    debts = models.ManyToManyField(Debt, related_name="cases")
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="cases", null=True, blank=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    priority = models.IntegerField(_("priority"), default=0)
    next_action_at = models.DateTimeField(_("next action"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [
            models.Index(fields=["assigned_to", "status"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["debtor"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"

    def can_move_to(self, status: str) -> bool:
        return status in CASE_TRANSITIONS.get(self.status, frozenset())


class CaseStatusChange(models.Model):
    """Who moved a case from one status to another, when and why (append-only)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} -> {self.to_status}"


class CaseAssignment(models.Model):
    """Every change of assignee, by whom and why (append-only)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assignments")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["to_user", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} -> {self.to_user_id}"
