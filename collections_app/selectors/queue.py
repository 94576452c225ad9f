"""The work queue: the user's open cases, most urgent first, one page at a time, and whether
each can be contacted now. Every query starts from `visible_to(user)`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db import connection, models, transaction
from django.db.models import Case as When_
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from config.dbjit import jit_off_by_settings

from ..models import (
    Case,
    ContactPoint,
    Debt,
    Debtor,
    FollowUp,
    PromiseStatus,
    PromiseToPay,
)
from ..models.debt import OPEN_DEBT_STATUSES

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
    if connection.vendor != "postgresql" or jit_off_by_settings(connection.alias):
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
