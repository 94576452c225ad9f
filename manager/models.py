"""The manager's records: team policy, allocation rules, strategies, scores, escalations
(requests, legal actions, agency placements) and complaints (for the incentive scorecard)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from collections_app.models.scoping import CaseChildQuerySet, ScopedQuerySet


class TeamPolicy(models.Model):
    """How a team's cases are allocated and rotated."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="policy", verbose_name=_("team")
    )
    auto_allocate = models.BooleanField(_("allocate new cases automatically"), default=True)
    rotation_days = models.PositiveIntegerField(
        _("rotate cases held this many days without progress"),
        default=30,
        validators=[MinValueValidator(1)],
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team policy")
        verbose_name_plural = _("team policies")

    def __str__(self) -> str:
        return f"Policy of {self.team}"


class AllocationRule(models.Model):
    """Cases of these buckets/products go only to these collectors (empty list = any)."""

    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, related_name="allocation_rules"
    )
    name = models.CharField(_("name"), max_length=100)
    buckets = models.JSONField(_("buckets"), default=list, blank=True)
    products = models.JSONField(_("products"), default=list, blank=True)
    collectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="allocation_rules", verbose_name=_("collectors")
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(m2m_fields=[collectors])

    class Meta:
        ordering = ["team_id", "name"]

    def __str__(self) -> str:
        return self.name


class Segment(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")
    SEVERE = "severe", _("Severe risk")


class Strategy(models.Model):
    """What to do with the cases of one segment. A challenger takes `challenger_pct` percent
    of the segment's cases, chosen deterministically by a hash of the case id."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    segment = models.CharField(_("segment"), max_length=50, choices=Segment.choices, blank=True)
    contact_every_days = models.PositiveIntegerField(
        _("contact cadence (days)"), default=7, validators=[MinValueValidator(1)]
    )
    # {"call": 60, "sms": 30, "email": 10}: share of outreach per channel, in percent.
    channel_mix = models.JSONField(_("channel mix"), default=dict, blank=True)
    reminder_kinds = models.JSONField(_("reminder kinds"), default=list, blank=True)
    escalate_after_days = models.PositiveIntegerField(
        _("escalate after days without payment"), null=True, blank=True
    )
    escalate_to = models.CharField(
        _("escalate to"),
        max_length=10,
        choices=[("legal", _("Legal")), ("agency", _("Agency"))],
        blank=True,
    )
    challenger = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="champions",
        verbose_name=_("challenger strategy"),
    )
    challenger_pct = models.PositiveIntegerField(
        _("challenger share (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("strategies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(challenger_pct__lte=100), name="strategy_challenger_pct_range"
            ),
            # A segment maps to one strategy; challengers carry no segment of their own.
            models.UniqueConstraint(
                fields=["segment"],
                condition=models.Q(active=True) & ~models.Q(segment=""),
                name="strategy_one_active_per_segment",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DebtorScore(models.Model):
    """The latest scorecard of a debtor, with each factor's points, so the score explains
    itself. Debtor.risk_score and Debtor.segment carry the total and the segment."""

    debtor = models.OneToOneField(
        "collections_app.Debtor", on_delete=models.CASCADE, related_name="scorecard"
    )
    total = models.IntegerField()
    segment = models.CharField(max_length=50, choices=Segment.choices)
    # [{"factor": "days_past_due", "value": "95", "points": 120}, ...]
    factors = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.debtor_id}: {self.total}"


class Arm(models.TextChoices):
    CHAMPION = "champion", _("Champion")
    CHALLENGER = "challenger", _("Challenger")


class CaseStrategy(models.Model):
    """The strategy (and arm) a case is worked under, set when scores are recomputed."""

    case = models.OneToOneField(
        "collections_app.Case", on_delete=models.CASCADE, related_name="strategy_assignment"
    )
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="cases")
    arm = models.CharField(max_length=10, choices=Arm.choices, default=Arm.CHAMPION)
    assigned_at = models.DateTimeField()

    objects = CaseChildQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.case_id}: {self.strategy_id} ({self.arm})"


class EscalationKind(models.TextChoices):
    LEGAL = "legal", _("Legal action")
    AGENCY = "agency", _("Agency placement")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class EscalationRequest(models.Model):
    """A collector asks for a case to go to legal or to an agency; a manager decides."""

    case = models.ForeignKey(
        "collections_app.Case", on_delete=models.PROTECT, related_name="escalation_requests"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EscalationKind.choices)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            # One open request per case and kind: a second click does not queue a duplicate.
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=models.Q(status="pending"),
                name="escalation_one_pending_per_case_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["legal", "agency"]), name="escalation_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for case {self.case_id} ({self.status})"


class LegalStage(models.TextChoices):
    DEMAND_LETTER = "demand_letter", _("Demand letter")
    FILING = "filing", _("Filing")
    JUDGMENT = "judgment", _("Judgment")
    ENFORCEMENT = "enforcement", _("Enforcement")


LEGAL_STAGE_ORDER = [s.value for s in LegalStage]


class LegalAction(models.Model):
    case = models.ForeignKey(
        "collections_app.Case", on_delete=models.PROTECT, related_name="legal_actions"
    )
    request = models.OneToOneField(
        EscalationRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_action",
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=LegalStage.choices, default=LegalStage.DEMAND_LETTER
    )
    court = models.CharField(_("court"), max_length=200, blank=True)
    reference = models.CharField(_("court reference"), max_length=100, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"Legal action {self.pk} ({self.stage})"


class LegalStepQuerySet(ScopedQuerySet):
    case_path = "action__case_id"


class LegalStep(models.Model):
    """One dated stage of a legal action, with its document."""

    action = models.ForeignKey(LegalAction, on_delete=models.PROTECT, related_name="steps")
    stage = models.CharField(_("stage"), max_length=16, choices=LegalStage.choices)
    on_date = models.DateField(_("date"))
    document = models.FileField(_("document"), upload_to="legal/%Y/%m/", blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = LegalStepQuerySet.as_manager()

    class Meta:
        ordering = ["on_date", "id"]

    def __str__(self) -> str:
        return f"{self.stage} on {self.on_date}"


class Agency(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    default_commission_pct = models.DecimalField(
        _("default commission (%)"), max_digits=5, decimal_places=2, default=Decimal("20.00")
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name


class AgencyPlacement(models.Model):
    case = models.ForeignKey(
        "collections_app.Case", on_delete=models.PROTECT, related_name="agency_placements"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="placements")
    request = models.OneToOneField(
        EscalationRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placement",
    )
    placed_on = models.DateField(_("placed on"))
    recall_on = models.DateField(_("recall on"))
    commission_pct = models.DecimalField(_("commission (%)"), max_digits=5, decimal_places=2)
    placed_balance = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recalled_at = models.DateTimeField(_("recalled"), null=True, blank=True)
    returned_amount = models.DecimalField(
        _("amount collected by the agency"), max_digits=14, decimal_places=2, default=0
    )
    returned_notes = models.TextField(_("results returned"), blank=True)
    history = HistoricalRecords()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recall_on__gt=models.F("placed_on")),
                name="placement_recall_after_placed",
            ),
            models.CheckConstraint(
                condition=models.Q(commission_pct__gte=0, commission_pct__lte=100),
                name="placement_commission_range",
            ),
            models.CheckConstraint(
                condition=models.Q(returned_amount__gte=0), name="placement_returned_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} at {self.agency}"


class Complaint(models.Model):
    """A debtor's complaint about a collector: one of the quality inputs of the incentives."""

    case = models.ForeignKey(
        "collections_app.Case", on_delete=models.PROTECT, related_name="complaints"
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints"
    )
    received_on = models.DateField(_("received on"))
    summary = models.TextField(_("summary"))
    upheld = models.BooleanField(_("upheld"), default=False)
    history = HistoricalRecords()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"Complaint {self.pk} on {self.received_on}"


class MonthEndBucket(models.Model):
    """A debt's delinquency bucket at the end of a past month, as its recorded history says.

    Read by the roll rates instead of searching each debt's history again on every page. Only
    the buckets are kept here, never the scope: who may see a debt is decided when reading.
    """

    month_end = models.DateField(_("month end"))
    debt = models.ForeignKey(
        "collections_app.Debt", on_delete=models.CASCADE, related_name="+", verbose_name=_("debt")
    )
    bucket = models.CharField(_("bucket"), max_length=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month_end", "debt"], name="month_end_bucket_once")
        ]

    def __str__(self) -> str:
        return f"{self.debt_id} {self.bucket} at {self.month_end}"


class MonthEndSnapshot(models.Model):
    """A complete build of the MonthEndBucket rows of one month end. `history_rows` is how
    many debt history rows dated before the month's end existed when it was built: while the
    history still holds that many, the snapshot is the same as a fresh computation."""

    month_end = models.DateField(_("month end"), unique=True)
    built_at = models.DateTimeField(_("built"), null=True, blank=True)
    history_rows = models.BigIntegerField(null=True, blank=True)
    debts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month_end"]

    def __str__(self) -> str:
        return f"Month end {self.month_end}"


class PortfolioSummary(models.Model):
    """The portfolio figures of the dashboard (buckets, roll rates, recovery curves) for one
    scope and last day, computed ahead by Celery or by the page that last had to compute them.

    `scope` names exactly the cases the figures cover: "all" (every case: admins without a
    team chosen) or "teams:" and the sorted team ids ("teams:3", "teams:1,4"; "teams:" for
    none). A reader looks a summary up by the scope of what it may see, never by a team it
    asks for: see `manager.selectors.summary`.
    """

    scope = models.CharField(_("scope"), max_length=255)
    last_day = models.DateField(_("last day"))
    figures = models.JSONField(_("figures"))
    computed_at = models.DateTimeField(_("computed"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "last_day"], name="portfolio_summary_once")
        ]

    def __str__(self) -> str:
        return f"{self.scope} on {self.last_day}"
