"""Reads of the compliance app. Nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from collections_app.models import Case, Debt, Debtor
from collections_app.models.debt import OPEN_DEBT_STATUSES
from compliance.engine import ContactPointInfo, evaluate
from compliance.engine import HouseSettings as EngineHouseSettings
from compliance.engine.evaluate import SEARCH_HORIZON
from compliance.services.context import (
    CHANNEL_KINDS,
    DEBTOR_FIELDS,
    LEDGER_DAYS,
    DebtorSnapshot,
    context_build,
    snapshots_load,
)
from compliance.services.house import house_policy_cached

# Enough to find a usable number without evaluating a debtor's whole address book.
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class EligibilityResult:
    allowed: bool
    codes: list[str] = field(default_factory=list)
    next_allowed_at: datetime | None = None
    contact_point_id: int | None = None


NO_CONTACT_POINT = "NO_CONTACT_POINT"


def contact_points_for_channel(snap: DebtorSnapshot, channel: str) -> list[ContactPointInfo]:
    """The debtor's own contact points for a channel: right kind, not a wrong number; verified
    first, then in kind preference order, then oldest first."""
    kinds = CHANNEL_KINDS.get(channel, ())
    usable = [
        cp
        for cp in snap.contact_points.values()
        if cp.owner == "debtor" and cp.kind in kinds and not cp.wrong_number
    ]
    usable.sort(key=lambda cp: (not cp.is_verified, kinds.index(cp.kind), cp.id))
    return usable[:MAX_CANDIDATES]


def eligibility_for_cases(
    *, case_ids: Sequence[int], channel: str, at: datetime
) -> dict[int, EligibilityResult]:
    """May each case's debtor be contacted on `channel` at `at`, and if not, when next?

    One channel of `eligibility_by_channel`; see there."""
    by_case = eligibility_by_channel(case_ids=case_ids, channels=[channel], at=at)
    return {case_id: answers[channel] for case_id, answers in by_case.items()}


def eligibility_by_channel(
    *, case_ids: Sequence[int], channels: Sequence[str], at: datetime
) -> dict[int, dict[str, EligibilityResult]]:
    """For each case and each of `channels`: may the debtor be contacted at `at`, and if not,
    when next?

    Set-based: the cases, their debts and every debtor's snapshot are loaded once, in a fixed
    number of queries for the whole batch and all channels; the rules then run in memory on
    the best contact points of each channel (the first that passes wins; otherwise the one
    that frees up soonest). A channel without a usable contact point answers
    `NO_CONTACT_POINT`. Nothing is written.
    """
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return {}
    cases = list(Case.objects.filter(pk__in=ids).values_list("pk", "debtor_id"))
    case_debts: dict[int, set[int]] = defaultdict(set)
    for case_id, debt_id in Case.debts.through.objects.filter(case_id__in=ids).values_list(
        "case_id", "debt_id"
    ):
        case_debts[case_id].add(debt_id)
    debtors = list(Debtor.objects.filter(pk__in={d for _c, d in cases}).only(*DEBTOR_FIELDS))
    snaps = snapshots_load(debtors=debtors, since=at - timedelta(days=LEDGER_DAYS), until=at)
    house = house_policy_cached()

    results: dict[int, dict[str, EligibilityResult]] = {}
    for case_id, debtor_id in cases:
        snap = snaps[debtor_id]
        debt_ids = frozenset(d for d in case_debts[case_id] if d in snap.open_debt_ids)
        if not debt_ids:
            debt_ids = snap.open_debt_ids
        results[case_id] = {
            channel: _best_for_channel(snap, channel, debt_ids, at, house) for channel in channels
        }
    return results


def _best_for_channel(
    snap: DebtorSnapshot,
    channel: str,
    debt_ids: frozenset[int],
    at: datetime,
    house: EngineHouseSettings,
) -> EligibilityResult:
    best: EligibilityResult | None = None
    for cp in contact_points_for_channel(snap, channel):
        # A later contact point replaces the best so far only if it frees up strictly
        # earlier, so its search need not look past the best's instant: the answer is the
        # same, and a contact point blocked for weeks no longer costs a 60-day search.
        horizon = SEARCH_HORIZON
        if best is not None and best.next_allowed_at is not None:
            horizon = min(horizon, best.next_allowed_at - at)
        ctx = context_build(
            snap=snap,
            contact_point_id=cp.id,
            channel=channel,
            debt_ids=debt_ids,
            at=at,
            house=house,
        )
        decision = evaluate(ctx, horizon=horizon, explain=False)  # nothing stored to explain
        result = EligibilityResult(
            allowed=decision.allowed,
            codes=sorted({r.code for r in decision.reasons}),
            next_allowed_at=decision.next_allowed_at,
            contact_point_id=cp.id,
        )
        if result.allowed:
            return result
        if best is None or (
            result.next_allowed_at is not None
            and (best.next_allowed_at is None or result.next_allowed_at < best.next_allowed_at)
        ):
            best = result
    return best or EligibilityResult(allowed=False, codes=[NO_CONTACT_POINT])


def case_filter_cases(*, user: User, params: dict[str, object]) -> QuerySet[Case]:
    """The cases a filter selects (`serializers.CaseFilterParamsSerializer`), only among those
    `user` sees, in id order. Every given field narrows the selection."""
    qs = Case.objects.visible_to(user)
    if params.get("status"):
        qs = qs.filter(status__in=params["status"])
    if params.get("team"):
        qs = qs.filter(team_id__in=params["team"])
    if params.get("assigned_to"):
        qs = qs.filter(assigned_to_id__in=params["assigned_to"])
    if params.get("unassigned"):
        qs = qs.filter(assigned_to__isnull=True)
    if params.get("country"):
        qs = qs.filter(debtor__country__in=params["country"])
    if params.get("region"):
        qs = qs.filter(debtor__region__in=params["region"])
    debts = Q()
    if params.get("bucket"):
        debts &= Q(bucket__in=params["bucket"])
    if params.get("product"):
        debts &= Q(product__in=params["product"])
    if debts:
        open_debts = Debt.objects.filter(debts, cases=OuterRef("pk"), status__in=OPEN_DEBT_STATUSES)
        qs = qs.filter(Exists(open_debts))
    return qs.order_by("pk")


def case_filter_page(
    *, user: User, params: dict[str, object], after: int, size: int
) -> tuple[list[int], int | None]:
    """Up to `size` ids the filter selects after the case id `after`, in id order, and the id
    to continue from (None when nothing is left)."""
    ids = list(
        case_filter_cases(user=user, params=params)
        .filter(pk__gt=after)
        .values_list("pk", flat=True)[: size + 1]
    )
    return ids[:size], (ids[size - 1] if len(ids) > size else None)
