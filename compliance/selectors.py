"""Reads of the compliance app. Nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from collections_app.models import Case, Debt, Debtor
from collections_app.models.debt import OPEN_DEBT_STATUSES
from compliance.engine import ContactPointInfo, evaluate
from compliance.engine import HouseSettings as EngineHouseSettings
from compliance.engine.evaluate import SEARCH_HORIZON
from compliance.engine.facts import Facts
from compliance.engine.stability import MAX_STABLE, stable_until
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
    """``valid_until`` (asked for with ``with_validity``): the answer is the same at every
    instant before it, the facts being unchanged (``compliance.engine.stability``); equal to
    the instant asked about when that cannot be said (a search that ran out of horizon)."""

    allowed: bool
    codes: list[str] = field(default_factory=list)
    next_allowed_at: datetime | None = None
    contact_point_id: int | None = None
    valid_until: datetime | None = field(default=None, compare=False)


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
    *,
    case_ids: Sequence[int],
    channels: Sequence[str],
    at: datetime,
    with_validity: bool = False,
    house: EngineHouseSettings | None = None,
) -> dict[int, dict[str, EligibilityResult]]:
    """For each case and each of `channels`: may the debtor be contacted at `at`, and if not,
    when next?

    Set-based: the cases, their debts and every debtor's snapshot are loaded once, in a fixed
    number of queries for the whole batch and all channels; the rules then run in memory on
    the best contact points of each channel (the first that passes wins; otherwise the one
    that frees up soonest). A channel without a usable contact point answers
    `NO_CONTACT_POINT`. Nothing is written.

    `with_validity` also says how long each answer holds (`EligibilityResult.valid_until`):
    the ledger is then read a day past `at` as well, since an entry already recorded for a
    later instant ends the answer when it comes due. `house`: the house policy to apply
    (default: the current one, `house_policy_cached`).
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
    until = at + MAX_STABLE if with_validity else at
    snaps = snapshots_load(debtors=debtors, since=at - timedelta(days=LEDGER_DAYS), until=until)
    house = house or house_policy_cached()

    results: dict[int, dict[str, EligibilityResult]] = {}
    for case_id, debtor_id in cases:
        snap = snaps[debtor_id]
        debt_ids = frozenset(d for d in case_debts[case_id] if d in snap.open_debt_ids)
        if not debt_ids:
            debt_ids = snap.open_debt_ids
        limit = None
        if with_validity:
            limit = min((e.occurred_at for e in snap.ledger if e.occurred_at > at), default=None)
        results[case_id] = {
            channel: _best_for_channel(snap, channel, debt_ids, at, house, limit, with_validity)
            for channel in channels
        }
    return results


def _best_for_channel(
    snap: DebtorSnapshot,
    channel: str,
    debt_ids: frozenset[int],
    at: datetime,
    house: EngineHouseSettings,
    limit: datetime | None = None,
    with_validity: bool = False,
) -> EligibilityResult:
    """The first contact point that passes, else the one that frees up soonest. With
    `with_validity`, the answer holds until the first instant where any evaluated contact
    point's answer may change (each is blocked at least until its own next allowed instant,
    and the later ones only searched up to the best one's)."""
    best: EligibilityResult | None = None
    valid_until = at + MAX_STABLE if limit is None else min(limit, at + MAX_STABLE)
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
        facts = Facts.build(ctx)
        decision = evaluate(ctx, horizon=horizon, explain=False, facts=facts)  # nothing stored
        result = EligibilityResult(
            allowed=decision.allowed,
            codes=sorted({r.code for r in decision.reasons}),
            next_allowed_at=decision.next_allowed_at,
            contact_point_id=cp.id,
        )
        if with_validity:
            valid_until = stable_until(ctx, facts, limit=valid_until)
            if decision.next_allowed_at is not None:
                valid_until = min(valid_until, decision.next_allowed_at)
            elif (
                not decision.allowed
                and horizon == SEARCH_HORIZON
                and not any(r.permanent for r in decision.reasons)
            ):
                valid_until = at  # the search ran out of horizon: a later one may not
        if result.allowed:
            return replace(result, valid_until=valid_until) if with_validity else result
        if best is None or (
            result.next_allowed_at is not None
            and (best.next_allowed_at is None or result.next_allowed_at < best.next_allowed_at)
        ):
            best = result
    best = best or EligibilityResult(allowed=False, codes=[NO_CONTACT_POINT])
    return replace(best, valid_until=valid_until) if with_validity else best


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
