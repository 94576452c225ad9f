"""`stable_until`: an answer computed at one instant is the engine's answer at every instant
before it (the facts fixed), checked against the engine itself at random instants of random
ledgers, channels, zones, restrictions, consents and house policies."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from compliance.engine import (
    ConsentInfo,
    DebtInfo,
    HouseSettings,
    LedgerEntry,
    RestrictionInfo,
    ZoneSource,
    evaluate,
)
from compliance.engine.facts import Facts
from compliance.engine.stability import MAX_STABLE, stable_until

from .builders import EMAIL, HOME, MOBILE, NEIGHBOUR, POSTAL, WORK, WORK_EMAIL, context

NY = ZoneInfo("America/New_York")
# Spans the US change to daylight time (2020-03-08, a Sunday) and to standard time is not
# needed: the day-long spans around 03-08 cross a 23-hour day.
BASE = datetime(2020, 2, 27, tzinfo=NY)
PROPS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OUTCOMES = [
    None,
    "busy",
    "no_answer",
    "voicemail",
    "conversation",
    "answered_dropped",
    "wrong_number",
    "delivered",
]
CPS = [MOBILE, HOME, WORK, EMAIL, NEIGHBOUR]

raw_entry = st.tuples(
    # the day, relative to the instant judged: mostly the last two weeks (the counting
    # windows), some much older (texts and consents 60 days back), some already due tomorrow
    st.integers(-12, 1) | st.integers(-70, -13),
    st.integers(0, 24 * 60 - 1),  # minute
    st.sampled_from(OUTCOMES),
    st.sampled_from(["outbound", "outbound", "inbound"]),
    st.sampled_from(CPS),
    st.sampled_from(["call", "call", "sms", "email", "visit"]),
    st.sampled_from([frozenset({1}), frozenset({2}), frozenset({1, 2})]),
)


def local_instant(day: int, minute: int, zone: ZoneInfo = NY) -> datetime:
    d = (BASE + timedelta(days=day)).date()
    naive = datetime(d.year, d.month, d.day) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def build_ledger(raws, base_day: int) -> tuple[LedgerEntry, ...]:
    return tuple(
        LedgerEntry(
            id=i,
            occurred_at=local_instant(base_day + day, minute),
            channel=channel,
            direction=direction,
            outcome=outcome if direction == "outbound" else "conversation",
            contact_point_id=cp.id,
            person=cp.person,
            debt_ids=debts,
        )
        for i, (day, minute, outcome, direction, cp, channel, debts) in enumerate(raws)
    )


def answer(ctx):
    d = evaluate(ctx, explain=False)
    return d.allowed, sorted({r.code for r in d.reasons}), d.next_allowed_at, d


zone_sets = st.sampled_from(
    [
        (),
        ("America/New_York",),
        ("America/Chicago", "America/Denver"),
        ("America/New_York", "America/Los_Angeles"),
        ("America/Phoenix", "America/Denver"),
        ("Asia/Shanghai",),
        ("Europe/London",),
    ]
)
places = st.sampled_from(
    [
        ("US", "NY", "Albany"),
        ("US", "NY", "New York"),
        ("US", "MA", "Boston"),
        ("US", "WA", ""),
        ("US", "TX", ""),
        ("CN", "BJ", ""),
        ("GB", "", ""),
    ]
)
houses = st.sampled_from(
    [
        HouseSettings(),
        HouseSettings(earliest_local_time=time(9, 30), latest_local_time=time(20, 15)),
        HouseSettings(max_calls_per_7_days=3, max_daily_attempts_per_contact_point=2),
        HouseSettings(max_contacts_per_7_days=4, no_contact_on_public_holidays=True),
        HouseSettings(latest_local_time=time(23, 59, 59, 999999)),
    ]
)
products = st.sampled_from(["credit_card", "online_loan", "auto_loan"])


@PROPS
@given(
    raws=st.lists(raw_entry, max_size=40),
    day=st.integers(55, 72),
    minute=st.integers(0, 24 * 60 - 1),
    second=st.integers(0, 59),
    channel=st.sampled_from(["call", "sms", "email", "visit", "letter"]),
    cp=st.sampled_from([MOBILE, HOME, WORK, EMAIL, WORK_EMAIL, NEIGHBOUR, POSTAL]),
    zones=zone_sets,
    place=places,
    product=products,
    house=houses,
    restriction=st.none()
    | st.tuples(
        st.sampled_from(["dispute", "inconvenient_time", "workplace", "channel_ban", "attorney"]),
        st.integers(-300, 300),  # start, hours from the instant
        st.none() | st.integers(1, 400),  # length in hours
        st.none() | st.tuples(st.integers(0, 6), st.integers(0, 23), st.integers(0, 23)),
    ),
    consent=st.none()
    | st.tuples(
        st.sampled_from(["call_back", "sms", "email", "inconvenient_time"]),
        st.integers(-2000, 30),  # given, hours from the instant
        st.none() | st.integers(1, 300),
    ),
    fractions=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=4),
    week_calls=st.integers(0, 9),
    today_calls=st.integers(0, 8),
)
@example(
    raws=[],
    day=60,
    minute=20 * 60 + 59,
    second=59,
    channel="call",
    cp=MOBILE,
    zones=("America/New_York",),
    place=("US", "NY", "Albany"),
    product="credit_card",
    house=HouseSettings(),
    restriction=None,
    consent=None,
    fractions=[0.5],
    week_calls=0,
    today_calls=0,
)
def test_the_answer_holds_until_stable_until(
    raws,
    day,
    minute,
    second,
    channel,
    cp,
    zones,
    place,
    product,
    house,
    restriction,
    consent,
    fractions,
    week_calls,
    today_calls,
):
    # Enough calls to reach the weekly and daily caps (7 in 7 days, 6 a day, house caps).
    raws = list(raws)
    raws += [
        (-(k % 7), 9 * 60 + 41 * k, "no_answer", "outbound", MOBILE, "call", frozenset({1}))
        for k in range(week_calls)
    ]
    raws += [
        (
            0,
            8 * 60 + 53 * k,
            "busy" if k % 3 else "answered_dropped",
            "outbound",
            HOME if k % 2 else MOBILE,
            "call",
            frozenset({1}),
        )
        for k in range(today_calls)
    ]
    when = local_instant(day, minute) + timedelta(seconds=second)
    restrictions = ()
    if restriction is not None:
        kind, start, length, window = restriction
        weekly = ()
        if window is not None:
            weekday, h0, h1 = window
            weekly = ((weekday, f"{h0:02d}:00", f"{h1:02d}:30"),)
        begins = when + timedelta(hours=start, minutes=13)
        restrictions = (
            RestrictionInfo(
                id=1,
                kind=kind,
                effective_at=begins,
                ends_at=begins + timedelta(hours=length) if length else None,
                weekly_windows=weekly if kind == "inconvenient_time" else (),
                channel="call" if kind == "channel_ban" else None,
            ),
        )
    consents = ()
    if consent is not None:
        kind, given_h, length = consent
        given = when + timedelta(hours=given_h, minutes=29)
        consents = (
            ConsentInfo(
                id=1,
                kind=kind,
                given_at=given,
                expires_at=given + timedelta(hours=length) if length else None,
                contact_point_id=cp.id if kind in ("sms", "email") else None,
            ),
        )
    country, region, city = place
    ctx = context(
        when,
        channel=channel,
        contact_point=cp,
        ledger=build_ledger(raws, day),
        zones=tuple(ZoneSource(z, "phone_area_code") for z in zones),
        debtor_country=country,
        debtor_region=region,
        debtor_city=city,
        debts=(
            DebtInfo(id=1, creditor="Acme", product=product),
            DebtInfo(id=2, creditor="B", product="credit_card"),
        ),
        outreach_debt_ids=frozenset({1, 2}),
        restrictions=restrictions,
        consents=consents,
        house=house,
    )
    allowed, codes, nxt, decision = answer(ctx)
    if not allowed and nxt is None and not any(r.permanent for r in decision.reasons):
        event("not kept: the search ran out of horizon")
        return  # such an answer is never kept
    event(f"allowed={allowed} codes={','.join(codes)}")
    # The answer here, then the one computed ahead from where it ends (as the refresher
    # does): each holds over its whole interval.
    for _round in range(2):
        until = stable_until(ctx, Facts.build(ctx))
        assert ctx.at < until <= ctx.at + MAX_STABLE
        if nxt is not None:
            until = min(until, nxt)
        last = until - timedelta(microseconds=1)
        instants = [min(ctx.at + (until - ctx.at) * f, last) for f in fractions]
        instants.append(last)
        for t in instants:
            later = dataclasses.replace(ctx, at=t)
            assert answer(later)[:3] == (allowed, codes, nxt), (ctx.at, t, until)
        ctx = dataclasses.replace(ctx, at=until)
        allowed, codes, nxt, decision = answer(ctx)
        if not allowed and nxt is None and not any(r.permanent for r in decision.reasons):
            break


def test_a_closing_window_ends_the_answer():
    when = local_instant(60, 20 * 60 + 30)  # 20:30 in New York
    ctx = context(when)
    until = stable_until(ctx, Facts.build(ctx))
    assert until == local_instant(60, 21 * 60)
    assert evaluate(ctx).allowed
    assert not evaluate(dataclasses.replace(ctx, at=until)).allowed


def test_a_daylight_saving_change_ends_the_answer():
    # 2020-03-08 01:30 EST: at 02:00 the clocks go to 03:00 EDT.
    when = datetime(2020, 3, 8, 1, 30, tzinfo=NY).astimezone(UTC)
    ctx = context(when)
    until = stable_until(ctx, Facts.build(ctx))
    change = datetime(2020, 3, 8, 7, 0, tzinfo=UTC)
    assert change - timedelta(seconds=1) <= until < change


def test_a_consent_sixty_days_old_ends_the_answer():
    given = local_instant(0, 10 * 60)
    when = given + timedelta(days=59, hours=23, minutes=50)
    ctx = context(
        when,
        channel="sms",
        consents=(ConsentInfo(id=1, kind="sms", given_at=given, contact_point_id=MOBILE.id),),
    )
    until = stable_until(ctx, Facts.build(ctx))
    # "within the last 60 days": still allowed at 60 days exactly, blocked right after.
    assert until == given + timedelta(days=60, microseconds=1)
    assert evaluate(dataclasses.replace(ctx, at=until - timedelta(microseconds=1))).allowed
    assert not evaluate(dataclasses.replace(ctx, at=until)).allowed


def test_a_text_from_the_consumer_sixty_days_old_ends_the_answer():
    texted = local_instant(0, 10 * 60)
    when = texted + timedelta(days=59, hours=22)
    inbound = LedgerEntry(
        id=1,
        occurred_at=texted,
        channel="sms",
        direction="inbound",
        outcome="conversation",
        contact_point_id=MOBILE.id,
    )
    ctx = context(when, channel="sms", ledger=(inbound,))
    until = stable_until(ctx, Facts.build(ctx))
    assert until == texted + timedelta(days=60, microseconds=1)
    assert evaluate(dataclasses.replace(ctx, at=until - timedelta(microseconds=1))).allowed
    assert not evaluate(dataclasses.replace(ctx, at=until)).allowed
