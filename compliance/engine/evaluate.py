"""The engine: evaluate every applicable pack and search for the next allowed instant.

DESIGN section 4: all packs that apply are evaluated, the union of their blocking reasons is
returned (all of them), the strictest result wins (any block blocks), and ``next_allowed_at``
is found by re-evaluating the rules at every instant where a block can lift, in time order,
with the ledger fixed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from types import ModuleType
from typing import Any

from compliance.engine.context import OutreachContext
from compliance.engine.facts import Facts, hours_consent_active, matching_restrictions
from compliance.engine.packs import ALL_PACKS
from compliance.engine.result import ZONE_UNKNOWN, Decision, Reason

ENGINE_VERSION = "1"
SEARCH_HORIZON = timedelta(days=60)


def applicable_packs(ctx: OutreachContext) -> tuple[ModuleType, ...]:
    """The packs that apply to this debtor and these debts (country, region, city, product)."""
    return tuple(p for p in ALL_PACKS if p.applies(ctx))


def evaluate(
    ctx: OutreachContext,
    *,
    horizon: timedelta = SEARCH_HORIZON,
    explain: bool = True,
    facts: Facts | None = None,
) -> Decision:
    """Judge one outreach at ``ctx.at``.

    ``explain=False`` leaves ``Decision.inputs`` empty (the counts and local times a stored
    decision keeps for audit and replay); the answer itself is the same. For reads that store
    nothing, such as batch eligibility. ``facts``: ``Facts.build(ctx)`` when the caller
    already has it."""
    if ctx.at.tzinfo is None:
        raise ValueError("OutreachContext.at must be timezone-aware")
    if facts is None:
        facts = Facts.build(ctx)
    packs = applicable_packs(ctx)
    reasons: list[Reason] = []
    warnings: list[Reason] = []
    windows: dict[str, list[str]] = {}
    for pack in packs:
        result = pack.evaluate(ctx, facts)
        reasons.extend(result.reasons)
        warnings.extend(result.warnings)
        if explain and result.window is not None:
            windows[pack.NAME] = [_hhmm(result.window[0]), _hhmm(result.window[1])]
    if not facts.zone_known:
        warnings.append(
            Reason(ZONE_UNKNOWN, "engine:zones", "No zone is known for this person; UTC used.")
        )
    allowed = not reasons
    next_at = None
    if not allowed and not any(r.permanent for r in reasons):
        next_at = search_next_allowed(ctx, facts, packs, horizon=horizon)
    return Decision(
        allowed=allowed,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        next_allowed_at=next_at,
        inputs=_inputs(ctx, facts, packs, windows) if explain else {},
    )


def _allowed_moving_blocker_first(
    ctx: OutreachContext, facts: Facts, rules: list[Any], at: datetime
) -> bool:
    """Whether the same outreach passes at another instant, same ledger, stopping at the first
    blocking rule, which is moved to the front of ``rules`` for the next instant."""
    moved = _moved(ctx, at)
    for i, rule in enumerate(rules):
        for _ in rule(moved, facts):
            if i:
                rules.insert(0, rules.pop(i))
            return False
    return True


_CONTEXT_FIELDS = tuple(f.name for f in dataclasses.fields(OutreachContext))


def _moved(ctx: OutreachContext, at: datetime) -> OutreachContext:
    """``dataclasses.replace(ctx, at=at)`` without re-running ``__init__``: the search asks
    this thousands of times a batch, and the context has no ``__post_init__`` to skip."""
    moved = object.__new__(OutreachContext)
    for name in _CONTEXT_FIELDS:
        object.__setattr__(moved, name, getattr(ctx, name))
    object.__setattr__(moved, "at", at)
    return moved


def candidate_times(ctx: OutreachContext, packs: Iterable[ModuleType]) -> list[time]:
    """Local wall-clock instants where a block can lift: midnight (day rollover: counting
    windows, quiet periods, holidays), each pack's window opening, the end of each window the
    consumer said is inconvenient."""
    times = {time(0)}
    for pack in packs:
        window = getattr(pack, "WINDOW", None)
        if window is not None:
            times.add(window[0])
    if ctx.house.earliest_local_time is not None:
        times.add(ctx.house.earliest_local_time)
    for r in ctx.restrictions:
        for _, _, end in r.weekly_windows:
            hours, minutes = end.split(":")
            times.add(time(int(hours), int(minutes)))
    return sorted(times)


def fixed_instants(ctx: OutreachContext) -> list[datetime]:
    """Instants where a restriction ends or starts, a consent starts or ends, an entry lands."""
    out: list[datetime] = []
    for r in ctx.restrictions:
        out.append(r.effective_at)
        if r.ends_at is not None:
            out.append(r.ends_at)
    for c in ctx.consents:
        out.append(c.given_at)
        if c.expires_at is not None:
            out.append(c.expires_at)
    out.extend(e.occurred_at for e in ctx.ledger)
    return out


def search_next_allowed(
    ctx: OutreachContext,
    facts: Facts,
    packs: tuple[ModuleType, ...],
    *,
    horizon: timedelta = SEARCH_HORIZON,
) -> datetime | None:
    """The first candidate instant after ``ctx.at`` at which every rule passes, or None.

    Candidates are generated one UTC day at a time (the search usually ends within a week),
    and each is checked by re-running the rules, so nothing is guessed: the result is allowed,
    and since every instant where a block can lift is a candidate, one second before it is not.
    """
    times = candidate_times(ctx, packs)
    fixed = fixed_instants(ctx)
    # An instant is allowed when no rule blocks it, whatever the order the rules are asked
    # in; the rule that blocked the last candidate is asked first at the next, since a block
    # usually outlasts several candidates.
    rules = [rule for pack in packs for rule in pack.RULES]
    lo = ctx.at
    end = ctx.at + horizon
    while lo < end:
        hi = min(lo + timedelta(days=1), end)
        found: set[datetime] = {t for t in fixed if lo < t <= hi}
        for zone in facts.zones:
            day = lo.astimezone(zone).date()
            last = hi.astimezone(zone).date()
            while day <= last:
                for tm in times:
                    t = datetime.combine(day, tm, tzinfo=zone)
                    if lo < t <= hi:
                        found.add(t.astimezone(UTC))
                day += timedelta(days=1)
        for t in sorted(found):
            if _allowed_moving_blocker_first(ctx, facts, rules, t):
                return t.astimezone(UTC)
        lo = hi
    return None


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M:%S") if t.second or t.microsecond else t.strftime("%H:%M")


def _inputs(
    ctx: OutreachContext, f: Facts, packs: tuple[ModuleType, ...], windows: dict[str, list[str]]
) -> dict[str, Any]:
    """The evaluated inputs, JSON-serialisable, for the stored decision (DESIGN section 3)."""
    days = f.local_days(ctx.at)
    counts: dict[str, dict[str, Any]] = {}
    for debt in sorted(f.target_debts):
        for zi in f.person_zones:
            calls, conversation_day = f.regf_bucket(
                person=ctx.person, debt=debt, at=ctx.at, day=days[zi], zi=zi
            )
            excluded = f.excluded_by_consent(
                person=ctx.person,
                debt=debt,
                contact_point_id=ctx.contact_point.id,
                at=ctx.at,
                day=days[zi],
                zi=zi,
                candidate=True,
            )
            counts[f"{ctx.person}|debt:{debt}|{f.zone_names[zi]}"] = {
                "calls_7d": calls,
                "conversation_day": (
                    datetime.fromordinal(conversation_day).date().isoformat()
                    if conversation_day is not None
                    else None
                ),
                "call_back_consent": excluded,
            }
    applying = {
        r.id
        for kind in {r.kind for r in ctx.restrictions}
        for r in matching_restrictions(ctx, kind, ctx.at)
    }
    return {
        "engine_version": ENGINE_VERSION,
        "at": ctx.at.astimezone(UTC).isoformat(),
        "channel": ctx.channel,
        "contact_point_id": ctx.contact_point.id,
        "person": ctx.person,
        "debts": sorted(f.target_debts),
        "zones": [
            {
                "zone": f.zone_names[i],
                "source": f.zone_sources[i],
                "local_time": ctx.at.astimezone(f.zones[i]).isoformat(),
            }
            for i in range(len(f.zones))
        ],
        "packs": {p.NAME: p.VERSION for p in packs},
        "windows": windows,
        "counts": counts,
        "inconvenient_time_consent": hours_consent_active(ctx, ctx.at),
        "restrictions": [
            {
                "id": r.id,
                "kind": r.kind,
                "active": r.active(ctx.at),
                "applies": r.id in applying,
            }
            for r in ctx.restrictions
        ],
        "consents": [
            {"id": c.id, "kind": c.kind, "active": c.active(ctx.at)} for c in ctx.consents
        ],
        "ledger_entries": len(ctx.ledger),
    }
