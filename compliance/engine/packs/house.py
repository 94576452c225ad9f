"""The organisation's own stricter caps (pack ``house``), from ``OutreachContext.house``.

Ships with no extra limits (every field None): the law is the default. An admin adds caps;
they only ever add blocks, since every legal pack is evaluated as well. The house hours are
company policy and are not lifted by the consumer's consent to an inconvenient time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from functools import lru_cache

import holidays

from compliance.engine.context import CALL_CHANNELS, NOT_CONNECTED_OUTCOMES, OutreachContext
from compliance.engine.facts import Facts
from compliance.engine.result import (
    CALL_FREQUENCY_LIMIT,
    CONTACT_FREQUENCY_LIMIT,
    DAILY_ATTEMPT_LIMIT,
    HOLIDAY,
    PackResult,
    Reason,
)

from ._base import Rule, hours_reasons, run_rules

NAME = "house"
VERSION = "house-1"


def applies(ctx: OutreachContext) -> bool:
    return True


def hours(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """House window [earliest_local_time, latest_local_time) in every plausible zone."""
    h = ctx.house
    if h.earliest_local_time is None and h.latest_local_time is None:
        return
    yield from hours_reasons(
        ctx,
        f,
        rule="house:contact_hours",
        start=h.earliest_local_time or time(0),
        end=h.latest_local_time or time(23, 59, 59, 999999),
        zone_indices=f.person_zones,
        consent_lifts=False,
    )


@lru_cache(maxsize=64)
def _holidays(country: str, region: str) -> holidays.HolidayBase | None:
    try:
        return holidays.country_holidays(country, subdiv=region or None)
    except (NotImplementedError, KeyError, ValueError):
        try:
            return holidays.country_holidays(country)
        except (NotImplementedError, KeyError, ValueError):
            return None


def public_holiday(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """House option: no contact on the debtor's public holidays (local date, any zone)."""
    if not ctx.house.no_contact_on_public_holidays:
        return
    calendar = _holidays(ctx.debtor_country.upper(), ctx.debtor_region.upper())
    if calendar is None:
        return
    for zi in f.person_zones:
        local = ctx.at.astimezone(f.zones[zi]).date()
        name = calendar.get(local)
        if name:
            yield Reason(HOLIDAY, "house:public_holidays", f"{local} is a holiday: {name}.")
            return


def calls_per_week(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """House cap on placed calls per person x debt in 7 days, counted like 1006.14(b)(2)."""
    cap = ctx.house.max_calls_per_7_days
    if cap is None or ctx.channel not in CALL_CHANNELS:
        return
    days = f.local_days(ctx.at)
    for debt in sorted(f.target_debts):
        for zi in f.person_zones:
            calls, _ = f.regf_bucket(person=ctx.person, debt=debt, at=ctx.at, day=days[zi], zi=zi)
            if calls >= cap:
                yield Reason(
                    CALL_FREQUENCY_LIMIT,
                    "house:max_calls_per_7_days",
                    f"Debt {debt}: {calls} calls in 7 days (house cap {cap}).",
                )
                break


def daily_attempts(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """House cap on outbound attempts to one contact point per local day."""
    cap = ctx.house.max_daily_attempts_per_contact_point
    if cap is None:
        return
    days = f.local_days(ctx.at)
    mine = [
        ef
        for ef in f.entries_until(ctx.at)
        if ef.entry.contact_point_id == ctx.contact_point.id and ef.entry.direction == "outbound"
    ]
    for zi in f.person_zones:
        n = sum(1 for ef in mine if ef.days[zi] == days[zi])
        if n >= cap:
            yield Reason(
                DAILY_ATTEMPT_LIMIT,
                "house:max_daily_attempts_per_contact_point",
                f"{n} attempts on this contact point today (house cap {cap}).",
            )
            return


def contacts_per_week(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """House cap on outbound attempts to the person on all channels in 7 days."""
    cap = ctx.house.max_contacts_per_7_days
    if cap is None:
        return
    days = f.local_days(ctx.at)
    mine = [
        ef
        for ef in f.entries_until(ctx.at)
        if ef.entry.person == ctx.person
        and ef.entry.direction == "outbound"
        and ef.entry.outcome not in NOT_CONNECTED_OUTCOMES
    ]
    for zi in f.person_zones:
        n = sum(1 for ef in mine if days[zi] - 7 < ef.days[zi] <= days[zi])
        if n >= cap:
            yield Reason(
                CONTACT_FREQUENCY_LIMIT,
                "house:max_contacts_per_7_days",
                f"{n} contacts in 7 days (house cap {cap}).",
            )
            return


RULES: tuple[Rule, ...] = (hours, public_holiday, daily_attempts, calls_per_week, contacts_per_week)


def evaluate(ctx: OutreachContext, facts: Facts | None = None) -> PackResult:
    f = facts or Facts.build(ctx)
    h = ctx.house
    window = (
        (h.earliest_local_time or time(0), h.latest_local_time or time(23, 59, 59, 999999))
        if h.earliest_local_time or h.latest_local_time
        else None
    )
    return PackResult(reasons=run_rules(RULES, ctx, f), window=window)
