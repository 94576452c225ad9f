"""The case page: the debtor's complete file in one query per relation, and none for a
relation without rows. A case outside the caller's scope is a 404."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, models
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from compliance.engine.timezones import resolve_zones

from ..models import (
    Case,
    CaseStatusChange,
    ContactAttempt,
    ContactPoint,
    Debt,
    FollowUp,
    Note,
    Payment,
    PromiseToPay,
    Reminder,
    RepaymentPlan,
)
from ..models.case import OPEN_CASE_STATUSES
from ..models.debt import OPEN_DEBT_STATUSES

if TYPE_CHECKING:
    from accounts.models import User


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
