"""Shared building blocks of the rule packs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, time, timedelta
from functools import lru_cache

from compliance.engine.context import HOURS_EXEMPT_CHANNELS, OutreachContext
from compliance.engine.facts import Facts, hours_consent_active, in_window
from compliance.engine.result import NO_PERMITTED_WINDOW, OUTSIDE_CONTACT_HOURS, Reason
from compliance.engine.timezones import zone_info

Rule = Callable[[OutreachContext, Facts], Iterable[Reason]]
NO_WINDOW_HORIZON_DAYS = 60


def run_rules(rules: Iterable[Rule], ctx: OutreachContext, facts: Facts) -> tuple[Reason, ...]:
    out: list[Reason] = []
    for rule in rules:
        out.extend(rule(ctx, facts))
    return tuple(out)


def fmt(t: time) -> str:
    return t.strftime("%H:%M")


@lru_cache(maxsize=4096)
def _common_window_on(zones: tuple[str, ...], utc_ordinal: int, start: time, end: time) -> bool:
    """Whether the [start, end) windows of every zone overlap within a day either side of the
    UTC day ``utc_ordinal`` (cached: the search asks the same question many times a day)."""
    utc = zone_info("UTC")
    base = datetime.fromordinal(utc_ordinal).replace(tzinfo=utc)
    common = [(base - timedelta(days=1), base + timedelta(days=2))]
    for name in zones:
        z = zone_info(name)
        local_base = base.astimezone(z).date()
        spans = []
        for k in range(-2, 4):
            d = local_base + timedelta(days=k)
            spans.append((datetime.combine(d, start, tzinfo=z), datetime.combine(d, end, tzinfo=z)))
        common = [
            (max(a0, b0), min(a1, b1))
            for a0, a1 in common
            for b0, b1 in spans
            if max(a0, b0) < min(a1, b1)
        ]
        if not common:
            return False
    return True


def hours_reasons(
    ctx: OutreachContext,
    f: Facts,
    *,
    rule: str,
    start: time,
    end: time,
    zone_indices: tuple[int, ...],
    consent_lifts: bool = True,
) -> Iterator[Reason]:
    """Block outside [start, end) local time in any of the zones (the intersection of the
    windows across all plausible zones, comment 6(b)(1)(i)-2)."""
    if ctx.channel in HOURS_EXEMPT_CHANNELS:
        return
    if consent_lifts and hours_consent_active(ctx, ctx.at):
        return
    outside = []
    for i in zone_indices:
        local = ctx.at.astimezone(f.zones[i])
        if not in_window(local, start, end):
            outside.append(f"{f.zone_names[i]} {local:%H:%M}")
    if not outside:
        return
    window = f"[{fmt(start)}, {fmt(end)})"
    if len(zone_indices) > 1:
        names = tuple(f.zone_names[i] for i in zone_indices)
        utc_day = ctx.at.astimezone(zone_info("UTC")).date().toordinal()
        if not _common_window_on(names, utc_day, start, end):
            # Daylight-saving changes can open a window later; if none opens within the
            # search horizon, time alone cannot lift this block.
            opens = any(
                _common_window_on(names, utc_day + k, start, end)
                for k in range(2, NO_WINDOW_HORIZON_DAYS + 1, 2)
            )
            yield Reason(
                NO_PERMITTED_WINDOW,
                rule,
                f"No instant is inside the permitted window {window} in every plausible zone "
                f"({', '.join(names)}).",
                permanent=not opens,
            )
            return
    yield Reason(
        OUTSIDE_CONTACT_HOURS,
        rule,
        f"Outside the permitted local window {window}: {', '.join(outside)}.",
    )
