"""What a loader reads of the ledger (`lookback.ledger_reduce`) decides exactly as the whole
ledger does: the counting window, and the older facts a rule reads however old they are."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.engine import DebtInfo, ZoneSource, evaluate
from compliance.engine.context import ContactPointInfo
from compliance.engine.lookback import COUNTING_DAYS, ledger_reduce

from .builders import (
    ALL_CPS,
    EMAIL,
    HOME,
    MOBILE,
    NEIGHBOUR,
    WORK,
    WORK_EMAIL,
    at,
    codes,
    context,
    entry,
)

NOW = at(2020, 6, 10, 10)  # a Wednesday, 10:00 in New York
SINCE = NOW - timedelta(days=COUNTING_DAYS)
CN_ZONES = (ZoneSource("Asia/Shanghai", "address_region"),)
ONLINE = DebtInfo(id=1, creditor="Lender", product="online_loan")
FRIEND = ContactPointInfo(
    id=8, kind="mobile", value="+8613800000008", owner="third_party", relationship="friend"
)
CPS = (*ALL_CPS, FRIEND)
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

raw = st.tuples(
    st.integers(0, 24 * 150),  # hours before now: five months, most of it before the window
    st.sampled_from(["call", "call", "call", "call", "sms", "email"]),
    st.sampled_from(["outbound", "outbound", "inbound"]),
    st.sampled_from(
        [None, "no_answer", "busy", "not_in_service", "conversation", "delivered", "failed"]
    ),
    st.sampled_from([MOBILE, MOBILE, MOBILE, HOME, WORK, EMAIL, WORK_EMAIL, NEIGHBOUR, FRIEND]),
)
# (channel, contact point, country, region) of the outreach judged.
outreach = st.sampled_from(
    [
        ("call", MOBILE, "US", "NY"),
        ("call", NEIGHBOUR, "US", "NY"),
        ("sms", MOBILE, "US", "NY"),
        ("email", WORK_EMAIL, "US", "NY"),
        ("call", HOME, "US", "MA"),
        ("call", MOBILE, "US", "WA"),
        ("call", MOBILE, "CN", "BJ"),
        ("call", FRIEND, "CN", "BJ"),
        ("call", NEIGHBOUR, "CN", "BJ"),
    ]
)


def _summary(decision):  # type: ignore[no-untyped-def]
    return (
        decision.allowed,
        [(r.code, r.rule, r.message, r.permanent) for r in decision.reasons],
        [(r.code, r.rule, r.message) for r in decision.warnings],
        decision.next_allowed_at,
    )


@PROPS
@given(
    raws=st.lists(raw, max_size=40),
    judged=outreach,
    later=st.integers(0, 24 * 20),
    quiet=st.sampled_from([0, 0, 24 * 40]),  # or nothing at all in the window
)
def test_the_reduced_ledger_decides_as_the_whole_ledger(raws, judged, later, quiet):
    channel, cp, country, region = judged
    ledger = [
        entry(
            NOW - timedelta(hours=h + quiet),
            outcome,
            channel=channel_,
            direction=direction,
            cp=cp_,
        )
        for h, channel_, direction, outcome, cp_ in raws
    ]
    reduced = ledger_reduce(ledger, SINCE, {c.id: c for c in CPS})
    # The gate judges now; an import judges later instants on what was read once.
    when = NOW + timedelta(hours=later)
    kw = {
        "channel": channel,
        "contact_point": cp,
        "debtor_country": country,
        "debtor_region": region,
        "contact_points": CPS,
    }
    if country == "CN":
        kw["zones"] = CN_ZONES
        if later % 2:  # an online loan (GB/T 45251-2025) or the default credit card
            kw["debts"] = (ONLINE,)
    whole = evaluate(context(when, ledger=tuple(ledger), **kw), explain=False)
    part = evaluate(context(when, ledger=reduced, **kw), explain=False)
    assert _summary(part) == _summary(whole)


def test_old_facts_are_kept_and_old_counts_are_not():
    old = NOW - timedelta(days=200)
    ledger = [
        entry(old, "conversation", cp=NEIGHBOUR),  # 1006.10(c): once, for good
        entry(old, "delivered", channel="email", direction="inbound", cp=WORK_EMAIL),
        entry(NOW - timedelta(days=50), "delivered", channel="sms", direction="inbound"),
        entry(NOW - timedelta(days=100), "delivered", channel="sms", direction="inbound"),
        entry(old, "delivered", channel="sms"),  # a text sent: counts for a week at most
        *(entry(NOW - timedelta(days=40 + i), "no_answer", cp=HOME) for i in range(5)),
    ]
    kept = ledger_reduce(ledger, SINCE, {c.id: c for c in CPS})
    # The last three calls to each of the debtor's phones are kept (CBA2026), not older ones.
    assert {e.id for e in kept} == {e.id for e in (*ledger[:3], *ledger[5:8])}
    assert list(kept) == sorted(kept, key=lambda e: e.occurred_at)
    # And through the engine: the third party stays blocked, the email and the text allowed.
    assert "THIRD_PARTY_RESTRICTED" in codes(
        evaluate(context(NOW, contact_point=NEIGHBOUR, ledger=kept))
    )
    assert evaluate(context(NOW, channel="email", contact_point=WORK_EMAIL, ledger=kept)).allowed
    assert evaluate(context(NOW, channel="sms", ledger=kept)).allowed


def test_a_debtor_unreachable_long_ago_still_is():
    """CBA2026: from the day after 3 consecutive failed calls to the debtor's mobile, a third
    party may be asked, however long ago the calls were."""
    ledger = [entry(NOW - timedelta(days=40 + i), "no_answer") for i in range(4)]
    kept = ledger_reduce(ledger, SINCE, {c.id: c for c in CPS})
    assert len(kept) == 3
    ten_in_beijing = at(2020, 6, 10, 22)
    friend = context(
        ten_in_beijing,
        contact_point=FRIEND,
        debtor_country="CN",
        debtor_region="BJ",
        contact_points=CPS,
        zones=CN_ZONES,
        ledger=kept,
    )
    assert evaluate(friend).allowed
    answered = (*kept[:-1], entry(NOW - timedelta(days=40), "conversation"))
    assert "THIRD_PARTY_RESTRICTED" in codes(evaluate(replace(friend, ledger=answered)))
