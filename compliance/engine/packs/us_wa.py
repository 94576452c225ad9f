"""Washington overlay (pack ``us_wa``): RCW 19.16.250(13).

At most 3 communications (calls or letters, visits too) with the debtor or spouse in one week,
at most 1 of them at the workplace; hours 8:00 a.m. to 9:00 p.m. (the stricter start).
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

NAME = "us_wa"
VERSION = "rcw19.16.250-2024"


@dataclass(frozen=True, slots=True)
class Settings:
    max_per_week: int = 3
    max_workplace_per_week: int = 1
    window_days: int = 7  # a rolling week: stricter than any calendar week
    earliest: time = time(8)
    latest: time = time(21)


SETTINGS = Settings()
COUNTED_CHANNELS = CALL_CHANNELS | {"letter", "visit"}


def applies(ctx: OutreachContext) -> bool:
    return ctx.debtor_country.upper() == "US" and ctx.debtor_region.upper() == "WA"


def _household(f: Facts, person: str) -> bool:
    if person == DEBTOR:
        return True
    cp_id = int(person.split(":", 1)[1]) if person.startswith("tp:") else None
    cp = f.contact_points.get(cp_id) if cp_id is not None else None
    return cp is not None and cp.relationship == "spouse"


def hours(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """RCW 19.16.250(13): no communication before 8:00 a.m. or after 9:00 p.m."""
    yield from hours_reasons(
        ctx,
        f,
        rule="us_wa:RCW 19.16.250(13)",
        start=SETTINGS.earliest,
        end=SETTINGS.latest,
        zone_indices=f.person_zones,
    )


def _counted(ef: EntryFact, f: Facts) -> bool:
    e = ef.entry
    return (
        e.direction == "outbound"
        and e.channel in COUNTED_CHANNELS
        and e.outcome not in NOT_CONNECTED_OUTCOMES
        and (e.contact_point_id is None or e.contact_point_id not in f.wrong_ids)
        and _household(f, e.person)
    )


def communications(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """RCW 19.16.250(13): more than 3 communications with the debtor or spouse in a week, or
    more than 1 at the place of employment."""
    if ctx.channel not in COUNTED_CHANNELS or not _household(f, ctx.person):
        return
    entries = [ef for ef in f.entries_until(ctx.at) if _counted(ef, f)]
    days = f.local_days(ctx.at)
    at_work = ctx.contact_point.is_workplace
    for zi in f.person_zones:
        day = days[zi]
        week = [ef for ef in entries if day - SETTINGS.window_days < ef.days[zi] <= day]
        if len(week) >= SETTINGS.max_per_week:
            yield Reason(
                CONTACT_FREQUENCY_LIMIT,
                "us_wa:RCW 19.16.250(13)",
                f"{len(week)} communications with the debtor or spouse this week (limit "
                f"{SETTINGS.max_per_week}).",
            )
            return
        if at_work:
            work = 0
            for ef in week:
                cp_id = ef.entry.contact_point_id
                cp = f.contact_points.get(cp_id) if cp_id is not None else None
                if cp is not None and cp.is_workplace:
                    work += 1
            if work >= SETTINGS.max_workplace_per_week:
                yield Reason(
                    CONTACT_FREQUENCY_LIMIT,
                    "us_wa:RCW 19.16.250(13)",
                    "Already one communication at the workplace this week.",
                )
                return


RULES: tuple[Rule, ...] = (hours, communications)
WINDOW = (SETTINGS.earliest, SETTINGS.latest)


def evaluate(ctx: OutreachContext, facts: Facts | None = None) -> PackResult:
    f = facts or Facts.build(ctx)
    return PackResult(reasons=run_rules(RULES, ctx, f), window=WINDOW)
