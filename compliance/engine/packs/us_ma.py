"""Massachusetts overlay (pack ``us_ma``): 940 CMR 7.04(1)(f) and 209 CMR 18.16.

At most 2 calls, texts or recorded messages initiated to the debtor's residence, mobile or
personal number in each 7-day period, and 2 in each 30-day period to other numbers, per debt;
household visits at most 1 per 30 days per debt. Calls answering the debtor's own request
(call-back consent) do not count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time

from compliance.engine.context import (
    CALL_CHANNELS,
    DEBTOR,
    NOT_CONNECTED_OUTCOMES,
    OutreachContext,
)
from compliance.engine.facts import EntryFact, Facts
from compliance.engine.result import CONTACT_FREQUENCY_LIMIT, PackResult, Reason

from ._base import Rule, hours_reasons, run_rules

NAME = "us_ma"
VERSION = "940cmr7-2024"


@dataclass(frozen=True, slots=True)
class Settings:
    personal_max: int = 2
    personal_window_days: int = 7
    other_max: int = 2
    other_window_days: int = 30
    visits_max: int = 1
    visits_window_days: int = 30
    earliest: time = time(8)
    latest: time = time(21)


SETTINGS = Settings()
PERSONAL_KINDS = frozenset({"mobile", "landline"})
COUNTED_CHANNELS = CALL_CHANNELS | {"sms"}


def applies(ctx: OutreachContext) -> bool:
    return ctx.debtor_country.upper() == "US" and ctx.debtor_region.upper() == "MA"


def hours(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """940 CMR 7.04(1): communications between 9:00 p.m. and 8:00 a.m. are unfair."""
    yield from hours_reasons(
        ctx,
        f,
        rule="us_ma:940 CMR 7.04(1)",
        start=SETTINGS.earliest,
        end=SETTINGS.latest,
        zone_indices=f.person_zones,
    )


def _is_personal(f: Facts, contact_point_id: int | None) -> bool | None:
    cp = f.contact_points.get(contact_point_id) if contact_point_id is not None else None
    if cp is None:
        return None  # unknown: counted in both buckets, the conservative reading
    return cp.kind in PERSONAL_KINDS


def _counted(ef: EntryFact, f: Facts) -> bool:
    e = ef.entry
    return (
        e.person == DEBTOR
        and e.direction == "outbound"
        and e.channel in COUNTED_CHANNELS
        and e.outcome not in NOT_CONNECTED_OUTCOMES
        and (e.contact_point_id is None or e.contact_point_id not in f.wrong_ids)
    )


def communications(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """940 CMR 7.04(1)(f): 2 per 7 days to personal numbers, 2 per 30 days to other numbers,
    per debt."""
    if ctx.channel not in COUNTED_CHANNELS or ctx.person != DEBTOR:
        return
    personal = ctx.contact_point.kind in PERSONAL_KINDS
    limit = SETTINGS.personal_max if personal else SETTINGS.other_max
    span = SETTINGS.personal_window_days if personal else SETTINGS.other_window_days
    days = f.local_days(ctx.at)
    entries = [ef for ef in f.entries_until(ctx.at) if _counted(ef, f)]
    for debt in sorted(f.target_debts):
        for zi in f.person_zones:
            day = days[zi]
            if f.excluded_by_consent(
                person=DEBTOR,
                debt=debt,
                contact_point_id=ctx.contact_point.id,
                at=ctx.at,
                day=day,
                zi=zi,
                candidate=True,
            ):
                continue
            n = 0
            for ef in entries:
                kind = _is_personal(f, ef.entry.contact_point_id)
                if debt not in ef.debts or (kind is not None and kind != personal):
                    continue
                if not day - span < ef.days[zi] <= day:
                    continue
                if f.callbacks and f.excluded_by_consent(
                    person=DEBTOR,
                    debt=debt,
                    contact_point_id=ef.entry.contact_point_id,
                    at=ef.at,
                    day=ef.days[zi],
                    zi=zi,
                    candidate=False,
                ):
                    continue
                n += 1
            if n >= limit:
                what = "personal numbers" if personal else "other numbers"
                yield Reason(
                    CONTACT_FREQUENCY_LIMIT,
                    "us_ma:940 CMR 7.04(1)(f)",
                    f"Debt {debt}: {n} calls/texts to {what} in the last {span} days "
                    f"(limit {limit}).",
                )
                break


def visits(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """940 CMR 7.04(1): household visits at most once in each 30-day period per debt."""
    if ctx.channel != "visit" or ctx.person != DEBTOR:
        return
    days = f.local_days(ctx.at)
    entries = [
        ef
        for ef in f.entries_until(ctx.at)
        if ef.entry.channel == "visit"
        and ef.entry.direction == "outbound"
        and ef.entry.outcome != "failed"
    ]
    for debt in sorted(f.target_debts):
        for zi in f.person_zones:
            day = days[zi]
            n = sum(
                1
                for ef in entries
                if debt in ef.debts and day - SETTINGS.visits_window_days < ef.days[zi] <= day
            )
            if n >= SETTINGS.visits_max:
                yield Reason(
                    CONTACT_FREQUENCY_LIMIT,
                    "us_ma:940 CMR 7.04(1)",
                    f"Debt {debt}: a household visit in the last 30 days.",
                )
                break


RULES: tuple[Rule, ...] = (hours, communications, visits)
WINDOW = (SETTINGS.earliest, SETTINGS.latest)


def evaluate(ctx: OutreachContext, facts: Facts | None = None) -> PackResult:
    f = facts or Facts.build(ctx)
    return PackResult(reasons=run_rules(RULES, ctx, f), window=WINDOW)
