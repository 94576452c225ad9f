"""How long an answer stays the same: the first instant after ``at`` where any rule may judge
differently, the ledger and every other fact being fixed.

A rule reads the time only through the local wall clock and date of each plausible zone (hours
windows, the consumer's inconvenient windows, counting days, holidays), the UTC date (whether
any common window exists), and comparisons with instants of the facts (a restriction's start
and end, a consent's start and end, a ledger entry, and a text or a text consent 60 days
later). Between two consecutive such instants every rule says the same, so an answer computed
at ``at`` is the answer at any instant before ``stable_until``: the blocking reasons, the
verdict, and (the search being exact) the next allowed instant.

Stored eligibility answers (``compliance.services.eligibility``) rely on this, and
``tests/compliance/engine/test_stability.py`` checks it against the engine at random instants
of random ledgers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from types import ModuleType
from zoneinfo import ZoneInfo

from compliance.engine.context import OutreachContext
from compliance.engine.evaluate import candidate_times, fixed_instants
from compliance.engine.facts import Facts
from compliance.engine.packs import ALL_PACKS, us_federal

# An answer is never kept longer than this (it also bounds the daylight-saving scan).
MAX_STABLE = timedelta(days=1)
# Ages of a fact after which a rule reads it differently (1006.6(d)(5): a text or a text
# consent "within the last 60 days" still counts at 60 days exactly, and no longer a
# microsecond later, the finest step of a datetime).
FACT_AGES = (timedelta(days=us_federal.SETTINGS.sms_consent_days, microseconds=1),)


def wall_clock_boundaries(
    ctx: OutreachContext, packs: Iterable[ModuleType] = ALL_PACKS
) -> list[time]:
    """Every local time of day at which a rule's view of the wall clock can change: where a
    block can lift (`evaluate.candidate_times`: midnight, window openings, the ends of the
    consumer's weekly windows) and where one can start (each window's close, the house's
    latest time, the starts of the consumer's weekly windows)."""
    times = set(candidate_times(ctx, packs))
    for pack in packs:
        window = getattr(pack, "WINDOW", None)
        if window is not None:
            times.add(window[1])
    if ctx.house.latest_local_time is not None:
        times.add(ctx.house.latest_local_time)
    for r in ctx.restrictions:
        for _day, start, _end in r.weekly_windows:
            hours, minutes = start.split(":")
            times.add(time(int(hours), int(minutes)))
    return sorted(times)


def fact_instants(ctx: OutreachContext) -> list[datetime]:
    """Instants of the facts (`evaluate.fixed_instants`: restriction and consent starts and
    ends, ledger entries) and the ages of them that a rule reads, where a rule may change."""
    out = fixed_instants(ctx)
    out.extend(c.given_at + age for c in ctx.consents for age in FACT_AGES)
    out.extend(e.occurred_at + age for e in ctx.ledger for age in FACT_AGES)
    return out


def _next_wall_clock(at: datetime, zone: ZoneInfo, times: list[time]) -> datetime:
    local = at.astimezone(zone)
    day = local.date()
    for k in range(3):
        d = day + timedelta(days=k)
        for tm in times:
            t = datetime.combine(d, tm, tzinfo=zone).astimezone(UTC)
            if t > at:
                return t
    return at + MAX_STABLE


def _offset_change(at: datetime, until: datetime, zone: ZoneInfo) -> datetime | None:
    """An instant at most a second before the zone's UTC offset first differs from its offset
    at ``at`` within (at, until] (a daylight-saving change moves every wall-clock boundary),
    or None when it does not change."""
    offset = at.astimezone(zone).utcoffset()
    if until.astimezone(zone).utcoffset() == offset:
        # Offsets change at most once a day in every zone this engine knows, and the span is
        # at most a day, so the same offset at both ends means no change in between.
        return None
    lo, hi = at, until
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == offset:
            lo = mid
        else:
            hi = mid
    return lo  # still the old offset: the change is after it, within a second


def stable_until(ctx: OutreachContext, facts: Facts, *, limit: datetime | None = None) -> datetime:
    """The first instant after ``ctx.at`` where a rule may judge this outreach differently
    (at most ``MAX_STABLE`` later, and not after ``limit``)."""
    at = ctx.at
    end = at + MAX_STABLE
    if limit is not None:
        end = min(end, limit)
    times = wall_clock_boundaries(ctx)
    zones = {*facts.zones, ZoneInfo("UTC")}
    for zone in zones:
        t = _next_wall_clock(at, zone, times if zone in facts.zones else [time(0)])
        end = min(end, t)
    for t in fact_instants(ctx):
        if at < t < end:
            end = t
    for zone in zones:
        change = _offset_change(at, end, zone)
        if change is not None:
            end = min(end, change)
    return end
