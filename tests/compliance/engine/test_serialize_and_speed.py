"""Stored contexts replay exactly; evaluation stays fast enough for the outreach gate."""

from __future__ import annotations

import json
import time as clock
from datetime import time, timedelta

from compliance.engine import (
    ConsentInfo,
    HouseSettings,
    RestrictionInfo,
    context_from_dict,
    context_to_dict,
    decision_to_dict,
    evaluate,
)

from .builders import HOME, MOBILE, WORK, at, context, entry


def rich_context():
    ledger = tuple(
        entry(at(2020, 4, 1) + timedelta(hours=7 * i), cp=(MOBILE, HOME, WORK)[i % 3])
        for i in range(100)
    )
    return context(
        at(2020, 4, 30, 12),
        ledger=ledger,
        restrictions=(
            RestrictionInfo(
                id=1,
                kind="inconvenient_time",
                effective_at=at(2020, 4, 1),
                weekly_windows=((0, "12:00", "13:00"),),
            ),
            RestrictionInfo(
                id=2,
                kind="dispute",
                effective_at=at(2020, 4, 1),
                ends_at=at(2020, 5, 1),
                debt_ids=frozenset({9}),
            ),
        ),
        consents=(ConsentInfo(id=1, kind="sms", given_at=at(2020, 4, 2), contact_point_id=1),),
        house=HouseSettings(max_calls_per_7_days=6, earliest_local_time=time(8, 30)),
    )


def test_context_round_trips_through_json():
    ctx = rich_context()
    stored = json.loads(json.dumps(context_to_dict(ctx)))
    assert context_from_dict(stored) == ctx


def test_decision_is_json_serialisable_with_local_times_and_counts():
    decision = evaluate(rich_context())
    data = json.loads(json.dumps(decision_to_dict(decision)))
    assert data["reasons"] and {"code", "rule", "message"} == set(data["reasons"][0])
    zone = data["inputs"]["zones"][0]
    assert zone["zone"] == "America/New_York" and zone["source"] == "address_region"
    assert zone["local_time"].startswith("2020-04-30T12:00:00-04:00")
    assert "debtor|debt:1|America/New_York" in data["inputs"]["counts"]
    assert data["inputs"]["packs"]["us_federal"]


def test_evaluation_of_a_hundred_entries_is_fast():
    ctx = rich_context()
    evaluate(ctx)
    n = 50
    started = clock.perf_counter()
    for _ in range(n):
        evaluate(ctx)
    per_call = (clock.perf_counter() - started) / n
    # Includes the next_allowed_at search (this context is blocked by the call count).
    assert per_call < 0.02, per_call
