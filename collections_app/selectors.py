"""Reads for the collector workspace: the work queue and the debtor's complete file.

Every query starts from `visible_to(user)`; a case outside the caller's scope is a 404 in the
view. Query counts do not grow with the rows shown: the queue annotates in SQL and the case
page prefetches each relation once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib.postgres.expressions import ArraySubquery
from django.core.paginator import Page, Paginator
from django.db import connection, models, transaction
from django.db.models import Case as When_
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Least
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from compliance.engine.timezones import resolve_zones

from .models import (
    Case,
    CaseStatusChange,
    ContactAttempt,
    ContactPoint,
    Debt,
    Debtor,
    FollowUp,
    Note,
    Payment,
    PromiseStatus,
    PromiseToPay,
    Reminder,
    RepaymentPlan,
)
from .models.case import OPEN_CASE_STATUSES
from .models.debt import OPEN_DEBT_STATUSES

if TYPE_CHECKING:
    from accounts.models import User

# Why a case sits where it does in the queue, most urgent first.
URGENCY_PROMISE_DUE_TODAY = 0
URGENCY_PROMISE_BROKEN = 1
URGENCY_FOLLOW_UP_DUE = 2
URGENCY_NEW = 3
URGENCY_OTHER = 4

QUEUE_CHANNELS = ("call", "sms", "email", "wechat")
# A broken promise keeps a case near the top of the queue for two weeks.
BROKEN_PROMISE_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    bucket: str = ""
    product: str = ""
    region: str = ""
    q: str = ""
    scope: str = ""  # "" = everything visible, "mine", "unassigned"


def case_queue_for_user(
    *, user: User, filters: QueueFilters, today: date | None = None, now: datetime | None = None
) -> models.QuerySet[Case]:
    """The user's open cases, ordered by what matters now: promises due today, broken
    promises, follow-ups due, new placements, then the riskiest and largest balances. The
    ordering keys are aliases (not selected): `case_queue_page` reads the page's ids with
    them, then the rows."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    qs: Any = Case.objects.visible_to(user)
    qs = qs.open()
    if filters.scope == "mine":
        qs = qs.filter(assigned_to=user)
    elif filters.scope == "unassigned":
        qs = qs.filter(assigned_to__isnull=True)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.region:
        qs = qs.filter(debtor__region__iexact=filters.region)
    case_debts = Debt.objects.filter(cases=OuterRef("pk"))
    if filters.bucket:
        qs = qs.filter(Exists(case_debts.filter(bucket=filters.bucket)))
    if filters.product:
        qs = qs.filter(Exists(case_debts.filter(product=filters.product)))
    term = filters.q.strip()
    if term:
        digits = "".join(ch for ch in term if ch.isdigit())
        match: Any = Q(debtor__full_name__icontains=term) | Exists(
            case_debts.filter(account_number__icontains=term)
        )
        if len(digits) >= 4:
            match |= Exists(
                ContactPoint.objects.filter(debtor_id=OuterRef("debtor_id"), value__contains=digits)
            )
        qs = qs.filter(match)

    return qs.alias(**_queue_order_keys(today=today, now=now)).order_by(
        "urgency", F("risk_score").desc(nulls_last=True), F("total_balance").desc(), "id"
    )


def _queue_order_keys(*, today: date, now: datetime) -> dict[str, Any]:
    """Why each case sits where it does, as correlated subqueries that PostgreSQL evaluates
    with an index probe per case of the queue (EXISTS would be planned as a hash of every
    matching promise and follow-up in the database, whatever the queue's size).

    The urgency is the lowest URGENCY_* level whose condition holds, so LEAST over the levels
    (URGENCY_OTHER when a condition does not hold) is the first level that matches, in the
    order of the URGENCY_* constants."""
    promises = PromiseToPay.objects.filter(case_id=OuterRef("pk")).order_by()
    promise_level = promises.values("case_id").annotate(
        level=models.Min(
            When_(
                When(
                    status=PromiseStatus.PENDING,
                    due_date=today,
                    then=Value(URGENCY_PROMISE_DUE_TODAY),
                ),
                When(
                    Q(status=PromiseStatus.BROKEN, resolved_at__gte=now - BROKEN_PROMISE_WINDOW)
                    | Q(status=PromiseStatus.PENDING, due_date__lt=today),
                    then=Value(URGENCY_PROMISE_BROKEN),
                ),
                default=Value(URGENCY_OTHER),
            )
        )
    )
    follow_up_level = FollowUp.objects.filter(
        case_id=OuterRef("pk"), done_at__isnull=True, due_at__lte=now
    ).values(level=Value(URGENCY_FOLLOW_UP_DUE))[:1]
    open_debts = (
        Debt.objects.filter(cases=OuterRef("pk"), status__in=OPEN_DEBT_STATUSES)
        .order_by()
        .values("cases")
    )
    return {
        "urgency": Least(
            Coalesce(Subquery(promise_level.values("level")), Value(URGENCY_OTHER)),
            Coalesce(Subquery(follow_up_level), Value(URGENCY_OTHER)),
            When_(When(status="new", then=Value(URGENCY_NEW)), default=Value(URGENCY_OTHER)),
        ),
        "risk_score": Subquery(
            Debtor.objects.filter(pk=OuterRef("debtor_id")).values("risk_score")[:1]
        ),
        "total_balance": Coalesce(
            Subquery(open_debts.annotate(total=models.Sum("balance")).values("total")[:1]),
            Value(Decimal("0")),
            output_field=models.DecimalField(max_digits=16, decimal_places=2),
        ),
    }


def case_queue_page(
    *, user: User, filters: QueueFilters, page_number: Any, now: datetime, per_page: int
) -> tuple[Page, list[Case]]:
    """One page of the queue: the page's case ids in queue order (the count and one query
    that orders the ids only), then those cases with what the row shows."""
    today = timezone.localdate(now)
    with _no_jit():
        ordered = case_queue_for_user(user=user, filters=filters, today=today, now=now)
        page = Paginator(ordered.values_list("pk", flat=True), per_page).get_page(page_number)
        ids = list(page.object_list)
        by_id = {case.pk: case for case in _queue_rows(case_ids=ids, today=today, now=now)}
    return page, [by_id[pk] for pk in ids]


@contextmanager
def _no_jit() -> Iterator[None]:
    """PostgreSQL's JIT compiler off for the queue's queries. The ordering query's estimated
    cost (a few subqueries per open case) passes `jit_above_cost` from a couple of thousand
    cases, and compiling the plan took 60 to 200 ms where running it takes about 30 ms: a
    page query never gains from JIT. SET LOCAL lasts until the end of the transaction (this
    block's, or the caller's when there is one)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def _queue_rows(*, case_ids: Sequence[int], today: date, now: datetime) -> list[Case]:
    """The queue's rows with their debtor, collector, urgency, open balance, days past due
    and currency (of the first debt)."""
    if not case_ids:
        return []
    case_debts = Debt.objects.filter(cases=OuterRef("pk")).order_by()
    open_debts = case_debts.filter(status__in=OPEN_DEBT_STATUSES).values("cases")
    keys = _queue_order_keys(today=today, now=now)
    return list(
        Case.objects.filter(pk__in=case_ids)
        .select_related("debtor", "assigned_to")
        .annotate(
            urgency=keys["urgency"],
            total_balance=keys["total_balance"],
            max_days_past_due=Coalesce(
                Subquery(open_debts.annotate(m=models.Max("days_past_due")).values("m")[:1]),
                Value(0),
            ),
            currency=Subquery(case_debts.order_by("id").values("currency")[:1]),
        )
    )


@dataclass(frozen=True)
class Contactability:
    channel: str
    allowed: bool | None  # None: unknown (no contact point for the channel, or no data)
    codes: tuple[str, ...] = ()
    next_allowed_at: datetime | None = None


def case_contactability(
    *, case_ids: Sequence[int], at: datetime, channels: Sequence[str] = QUEUE_CHANNELS
) -> dict[int, list[Contactability]]:
    """Per case, whether each channel is open now, or when next: one set-based call for the
    whole page and every channel (compliance.selectors.eligibility_by_channel)."""
    result: dict[int, list[Contactability]] = {cid: [] for cid in case_ids}
    if not case_ids:
        return result
    try:
        from compliance.selectors import eligibility_by_channel
    except ImportError:  # the gate's selector is not deployed: say "unknown", never "allowed"
        return result
    by_case = eligibility_by_channel(case_ids=list(case_ids), channels=list(channels), at=at)
    for cid in case_ids:
        answers = by_case.get(cid, {})
        for channel in channels:
            res = answers.get(channel)
            if res is None or res.contact_point_id is None:
                continue
            result[cid].append(
                Contactability(
                    channel=channel,
                    allowed=bool(res.allowed),
                    codes=tuple(res.codes or ()),
                    next_allowed_at=res.next_allowed_at,
                )
            )
    return result


# --- the case page ------------------------------------------------------------------------


def case_get_for_user(*, user: User, case_id: int, for_write: bool = False) -> Case:
    """The case if the user may see it (or change it, with `for_write`); else 404."""
    base = Case.objects.writable_by(user) if for_write else Case.objects.visible_to(user)
    return get_object_or_404(base.select_related("debtor", "team", "assigned_to"), pk=case_id)


@dataclass
class LocalTime:
    zone: str
    source: str
    local: datetime


@dataclass
class ContactPointView:
    contact_point: ContactPoint
    zones: list[LocalTime]
    channels: list[str]


@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    obj: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class CaseFile:
    case: Case
    debts: list[Debt]
    contact_points: list[ContactPointView]
    restrictions: list[Any]
    consents: list[Any]
    promises: list[PromiseToPay]
    plans: list[RepaymentPlan]
    follow_ups: list[FollowUp]
    timeline: list[TimelineEntry]
    total_balance: Decimal
    currency: str
    debtor_zones: list[LocalTime]
    other_cases: list[Case]
    reminders: list[Reminder] = field(default_factory=list)


def channels_for_contact_point(cp: ContactPoint) -> list[str]:
    """The outreach buttons a contact point offers."""
    if cp.wrong_number:
        return []
    if cp.kind in ("mobile",):
        return ["call", "sms"]
    if cp.kind in ("landline", "work_phone"):
        return ["call"]
    if cp.kind == "email":
        return ["email"]
    if cp.kind == "wechat":
        return ["wechat"]
    return []


def _local_times(zones: Sequence[tuple[str, str]], now: datetime) -> list[LocalTime]:
    out: list[LocalTime] = []
    for zone, source in zones:
        try:
            out.append(LocalTime(zone=zone, source=source, local=now.astimezone(ZoneInfo(zone))))
        except (KeyError, ValueError):
            continue
    return out


def contact_point_zones(*, cp: ContactPoint, now: datetime) -> list[LocalTime]:
    """The zones stored on the contact point (resolved when it was saved), else resolved now
    from its number and the debtor's address."""
    stored = [(z.get("zone", ""), z.get("source", "")) for z in (cp.timezones or []) if z]
    if not stored:
        debtor = cp.debtor
        stored = [
            (z.zone, z.source)
            for z in resolve_zones(
                override=debtor.timezone or None,
                override_verified=bool(debtor.timezone),
                phones=[cp.value] if cp.is_phone else [],
                country=debtor.country,
                region=debtor.region,
            )
        ]
    return _local_times(stored, now)


# The relations of the case page that are read only when the case query finds rows in them.
CASE_PAGE_RELATIONS = (
    "restrictions",
    "consents",
    "attempts",
    "blocked",
    "notes",
    "promises",
    "plans",
    "payments",
    "changes",
    "follow_ups",
    "reminders",
)


def _case_with_others_for_user(*, user: User, case_id: int) -> tuple[Case, list[Case], set[str]]:
    """The case and the debtor's other cases the user may see, in one query; 404 when the
    case itself is out of scope. The query also says which of the case page's relations have
    rows, so that the page reads only those (most cases have no plan, restriction or
    payment)."""
    from compliance.models import ComplianceDecision, Consent, ContactRestriction

    case_pk, debtor_pk = OuterRef("pk"), OuterRef("debtor_id")
    rows = list(
        Case.objects.visible_to(user)
        .filter(debtor_id=Subquery(Case.objects.filter(pk=case_id).values("debtor_id")[:1]))
        .select_related("debtor", "team", "assigned_to")
        .annotate(
            has_restrictions=Exists(ContactRestriction.objects.filter(debtor_id=debtor_pk)),
            has_consents=Exists(Consent.objects.filter(debtor_id=debtor_pk)),
            has_attempts=Exists(ContactAttempt.objects.filter(debtor_id=debtor_pk)),
            has_blocked=Exists(
                ComplianceDecision.objects.filter(
                    debtor_id=debtor_pk, allowed=False, purpose="live"
                )
            ),
            has_notes=Exists(Note.objects.filter(case_id=case_pk)),
            has_promises=Exists(PromiseToPay.objects.filter(case_id=case_pk)),
            has_plans=Exists(RepaymentPlan.objects.filter(case_id=case_pk)),
            has_payments=Exists(Payment.objects.filter(case_id=case_pk)),
            has_changes=Exists(CaseStatusChange.objects.filter(case_id=case_pk)),
            has_follow_ups=Exists(FollowUp.objects.filter(case_id=case_pk)),
            has_reminders=Exists(Reminder.objects.filter(case_id=case_pk)),
        )
        .order_by("-id")
    )
    case = next((c for c in rows if c.pk == case_id), None)
    if case is None:
        raise Http404("No case matches the given query.")
    present = {name for name in CASE_PAGE_RELATIONS if getattr(case, f"has_{name}")}
    return case, [c for c in rows if c.pk != case_id], present


def _rows_with_debt_accounts(
    qs: models.QuerySet[Any], *, through: Any, owner: str, limit: int | None = None
) -> list[Any]:
    """The rows, each with `debt_accounts`: the account numbers of its many-to-many `debts`, in
    the debts' own order (Debt.Meta.ordering), all the page shows of them. On PostgreSQL they
    come with the rows as an array; elsewhere one more query reads them for every row."""
    order = ("debt__debtor_id", "debt_id")
    if connection.vendor == "postgresql":
        return list(
            qs.annotate(
                debt_accounts=ArraySubquery(
                    through.objects.filter(**{f"{owner}_id": OuterRef("pk")})
                    .order_by(*order)
                    .values("debt__account_number")
                )
            )[:limit]
        )
    rows = list(qs[:limit])
    accounts: dict[int, list[str]] = {row.pk: [] for row in rows}
    for owner_id, account in (
        through.objects.filter(**{f"{owner}_id__in": list(accounts)})
        .order_by(*order)
        .values_list(f"{owner}_id", "debt__account_number")
    ):
        accounts[owner_id].append(account)
    for row in rows:
        row.debt_accounts = accounts[row.pk]
    return rows


def case_file_for_user(*, user: User, case_id: int, now: datetime | None = None) -> CaseFile:
    """Everything about the debtor a collector needs on one page, in a fixed number of
    queries whatever the size of the history: at most one per relation, and none for a
    relation the case query found empty."""
    from compliance.models import ComplianceDecision, Consent, ContactRestriction

    now = now or timezone.now()
    case, other_cases, present = _case_with_others_for_user(user=user, case_id=case_id)
    debtor = case.debtor
    debts = list(case.debts.order_by("id"))
    cps = list(ContactPoint.objects.filter(debtor=debtor).order_by("kind", "id"))
    for cp in cps:
        cp.debtor = debtor  # already loaded; no query per contact point
    restrictions: list[Any] = []
    if "restrictions" in present:
        restrictions = _rows_with_debt_accounts(
            ContactRestriction.objects.filter(debtor=debtor).select_related(
                "contact_point", "recorded_by"
            ),
            through=ContactRestriction.debts.through,
            owner="contactrestriction",
        )
    consents: list[Any] = []
    if "consents" in present:
        consents = list(
            Consent.objects.filter(debtor=debtor).select_related("contact_point", "recorded_by")
        )
    attempts: list[ContactAttempt] = []
    if "attempts" in present:
        attempts = _rows_with_debt_accounts(
            ContactAttempt.objects.filter(debtor=debtor).select_related("contact_point", "actor"),
            through=ContactAttempt.debts_discussed.through,
            owner="contactattempt",
            limit=200,
        )
    blocked: list[Any] = []
    if "blocked" in present:
        decision_ids = [a.decision_id for a in attempts if a.decision_id]
        blocked = list(
            ComplianceDecision.objects.filter(debtor=debtor, allowed=False, purpose="live")
            .exclude(id__in=decision_ids)
            .select_related("contact_point", "actor")
            .order_by("-created_at")[:50]
        )
    notes: list[Note] = []
    if "notes" in present:
        notes = list(Note.objects.filter(case=case).select_related("author")[:200])
    promises: list[PromiseToPay] = []
    if "promises" in present:
        promises = list(
            PromiseToPay.objects.filter(case=case)
            .select_related("created_by", "debt")
            .order_by("-due_date", "-id")
        )
    plans: list[RepaymentPlan] = []
    if "plans" in present:
        plans = list(
            RepaymentPlan.objects.filter(case=case)
            .select_related("created_by", "approved_by")
            .prefetch_related("installments")
        )
    payments: list[Payment] = []
    if "payments" in present:
        payments = list(
            Payment.objects.filter(case=case).select_related("debt", "recorded_by")[:200]
        )
    changes: list[CaseStatusChange] = []
    if "changes" in present:
        changes = list(CaseStatusChange.objects.filter(case=case).select_related("actor"))
    follow_ups: list[FollowUp] = []
    if "follow_ups" in present:
        follow_ups = list(
            FollowUp.objects.filter(case=case).select_related("assigned_to", "created_by")
        )
    reminders = _case_reminders(case.pk) if "reminders" in present else []

    timeline: list[TimelineEntry] = []
    timeline += [TimelineEntry(a.occurred_at, "attempt", a) for a in attempts]
    timeline += [TimelineEntry(d.created_at, "blocked", d) for d in blocked]
    timeline += [TimelineEntry(n.created_at, "note", n) for n in notes]
    timeline += [TimelineEntry(p.created_at, "promise", p) for p in promises]
    timeline += [TimelineEntry(p.created_at, "plan", p) for p in plans]
    timeline += [TimelineEntry(p.received_at, "payment", p) for p in payments]
    timeline += [TimelineEntry(c.at, "status", c) for c in changes]
    timeline += [TimelineEntry(f.created_at, "follow_up", f) for f in follow_ups]
    timeline += [
        TimelineEntry(r.sent_at or r.due_at, "reminder", r)
        for r in reminders
        if r.status in ("sent", "cancelled", "failed", "deferred")
    ]
    timeline.sort(key=lambda e: e.at, reverse=True)

    open_debts = [d for d in debts if d.status in OPEN_DEBT_STATUSES]
    debtor_zone_pairs = [
        (z.zone, z.source)
        for z in resolve_zones(
            override=debtor.timezone or None,
            override_verified=bool(debtor.timezone),
            phones=[cp.value for cp in cps if cp.is_phone and cp.owner == "debtor"],
            country=debtor.country,
            region=debtor.region,
        )
    ]
    return CaseFile(
        case=case,
        debts=debts,
        contact_points=[
            ContactPointView(
                contact_point=cp,
                zones=contact_point_zones(cp=cp, now=now),
                channels=channels_for_contact_point(cp),
            )
            for cp in cps
        ],
        restrictions=restrictions,
        consents=consents,
        promises=promises,
        plans=plans,
        follow_ups=[f for f in follow_ups if f.done_at is None],
        timeline=timeline,
        total_balance=sum((d.balance for d in open_debts), Decimal("0")),
        currency=debts[0].currency if debts else "USD",
        debtor_zones=_local_times(debtor_zone_pairs, now),
        other_cases=other_cases,
        reminders=reminders,
    )


def _case_reminders(case_id: int) -> list[Reminder]:
    """The case's reminders through the messaging app's selector (the one reader of them)."""
    qs: Any
    try:
        from messaging.selectors import reminders_for_case
    except ImportError:
        qs = Reminder.objects.filter(case_id=case_id).select_related("contact_point")
    else:
        qs = reminders_for_case(case_id=case_id)
    return list(qs[:100])


def case_open_balance(*, case: Case) -> Decimal:
    total = case.debts.filter(status__in=OPEN_DEBT_STATUSES).aggregate(t=models.Sum("balance"))
    return total["t"] or Decimal("0")


def case_is_open(case: Case) -> bool:
    return case.status in OPEN_CASE_STATUSES
