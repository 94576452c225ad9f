"""Property tests: the engine against a brute-force count, and the next_allowed_at contract."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.engine import (
    ConsentInfo,
    LedgerEntry,
    RestrictionInfo,
    ZoneSource,
    context_from_dict,
    context_to_dict,
    decision_to_dict,
    evaluate,
)

from .builders import HOME, MOBILE, NEIGHBOUR, WORK, context

NY = ZoneInfo("America/New_York")
# Spans the US change to daylight time (2020-03-08) so local days are not all 24 hours.
BASE = datetime(2020, 3, 1, tzinfo=NY)
OUTCOMES = [
    None,
    "busy",
    "not_in_service",
    "no_answer",
    "voicemail",
    "limited_content_message",
    "answered_dropped",
    "conversation",
    "failed",
]
NOT_PLACED = {"busy", "not_in_service", "failed", "wrong_number"}
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

raw_entry = st.tuples(
    st.integers(0, 13),  # day
    st.integers(0, 24 * 60 - 1),  # minute of the local day
    st.sampled_from(OUTCOMES),
    st.sampled_from(["outbound", "outbound", "outbound", "inbound"]),
    st.sampled_from([MOBILE, HOME, WORK]),
    st.sampled_from([frozenset({1}), frozenset({2}), frozenset({1, 2})]),
)


def local_instant(day: int, minute: int) -> datetime:
    d = (BASE + timedelta(days=day)).date()
    naive = datetime(d.year, d.month, d.day) + timedelta(minutes=minute)
    return naive.replace(tzinfo=NY).astimezone(UTC)


def build_ledger(raws) -> tuple[LedgerEntry, ...]:
    return tuple(
        LedgerEntry(
            id=i,
            occurred_at=local_instant(day, minute),
            channel="call",
            direction=direction,
            outcome=outcome if direction == "outbound" else "conversation",
            contact_point_id=cp.id,
            debt_ids=debts,
        )
        for i, (day, minute, outcome, direction, cp, debts) in enumerate(raws)
    )


def brute_force_blocked(ledger, when: datetime, debt: int) -> bool:
    """A separate, simple reading of 1006.14(b)(2) in one zone: 7 placed calls on the local days
    [D-6, D], or a conversation on those days, about the debt."""
    today = when.astimezone(NY).date()
    first = today - timedelta(days=6)
    calls = 0
    for e in ledger:
        day = e.occurred_at.astimezone(NY).date()
        if e.occurred_at > when or debt not in e.debt_ids or not first <= day <= today:
            continue
        if e.outcome == "conversation":
            return True
        if e.direction == "outbound" and e.outcome not in NOT_PLACED:
            calls += 1
    return calls >= 7


@PROPS
@given(
    raws=st.lists(raw_entry, max_size=40),
    minute=st.integers(0, 24 * 60 - 1),
    debt=st.sampled_from([1, 2]),
)
def test_engine_agrees_with_a_brute_force_count(raws, minute, debt):
    ledger = build_ledger(raws)
    when = local_instant(14, minute)
    decision = evaluate(context(when, ledger=ledger, outreach_debt_ids=frozenset({debt})))
    local = when.astimezone(NY)
    in_hours = 8 <= local.hour < 21
    expected = in_hours and not brute_force_blocked(ledger, when, debt)
    assert decision.allowed is expected, decision.reasons


zone_sets = st.sampled_from(
    [
        ("America/New_York",),
        ("America/Chicago", "America/Denver"),
        ("America/New_York", "America/Los_Angeles"),
        ("America/New_York", "Pacific/Honolulu", "America/Anchorage"),
        ("Asia/Shanghai", "America/Los_Angeles"),
    ]
)


@PROPS
@given(
    raws=st.lists(raw_entry, max_size=40),
    minute=st.integers(0, 24 * 60 - 1),
    zones=zone_sets,
    region=st.sampled_from(["NY", "MA", "WA", "TX"]),
    dispute_hours=st.none() | st.integers(1, 400),
    window=st.none() | st.tuples(st.integers(0, 6), st.integers(0, 23), st.integers(0, 23)),
    consent_day=st.none() | st.integers(8, 14),
    third_party=st.booleans(),
)
def test_next_allowed_at_is_allowed_and_one_second_earlier_is_not(
    raws, minute, zones, region, dispute_hours, window, consent_day, third_party
):
    ledger = build_ledger(raws)
    when = local_instant(14, minute)
    restrictions = []
    if dispute_hours is not None:
        restrictions.append(
            RestrictionInfo(
                id=1,
                kind="dispute",
                effective_at=BASE,
                ends_at=when + timedelta(hours=dispute_hours, minutes=7),
                debt_ids=frozenset({1}),
            )
        )
    if window is not None:
        weekday, start, end = window
        restrictions.append(
            RestrictionInfo(
                id=2,
                kind="inconvenient_time",
                effective_at=BASE,
                weekly_windows=((weekday, f"{start:02d}:00", f"{end:02d}:30"),),
            )
        )
    consents = ()
    if consent_day is not None:
        consents = (ConsentInfo(id=1, kind="call_back", given_at=local_instant(consent_day, 600)),)
    ctx = context(
        when,
        ledger=ledger,
        zones=tuple(ZoneSource(z, "phone_area_code") for z in zones),
        debtor_region=region,
        restrictions=tuple(restrictions),
        consents=consents,
        contact_point=NEIGHBOUR if third_party else MOBILE,
    )
    decision = evaluate(ctx)
    if decision.allowed:
        assert decision.next_allowed_at is None
        return
    nxt = decision.next_allowed_at
    if nxt is None:
        return
    assert nxt > when
    assert evaluate(dataclasses.replace(ctx, at=nxt)).allowed
    before = evaluate(dataclasses.replace(ctx, at=nxt - timedelta(seconds=1)))
    assert not before.allowed


@settings(max_examples=50, deadline=None)
@given(raws=st.lists(raw_entry, max_size=30), minute=st.integers(0, 24 * 60 - 1))
def test_a_stored_context_replays_to_the_same_decision(raws, minute):
    ctx = context(local_instant(14, minute), ledger=build_ledger(raws))
    stored = json.loads(json.dumps(context_to_dict(ctx)))
    replayed = context_from_dict(stored)
    assert replayed == ctx
    assert json.dumps(decision_to_dict(evaluate(replayed)), sort_keys=True) == json.dumps(
        decision_to_dict(evaluate(ctx)), sort_keys=True
    )
