"""Universal gates, applied in every jurisdiction.

These are requests and facts that only a person can change (a cease letter, a wrong number, a
death, a bankruptcy...). Regulation F cites are given; CONC 7.9.4 (UK: honour the customer's
reasonable requests) and the CBA 2026 guideline (CN: stop when asked) require the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time

from compliance.engine.context import OutreachContext, RestrictionInfo
from compliance.engine.facts import Facts, hours_consent_active, matching_restrictions
from compliance.engine.result import (
    ATTORNEY_REPRESENTED,
    BANKRUPTCY,
    CEASE_COMMUNICATION,
    CHANNEL_OPT_OUT,
    CONSUMER_INCONVENIENT_TIME,
    DECEASED,
    DISPUTE_PENDING,
    DO_NOT_CONTACT,
    WORKPLACE_PROHIBITED,
    WRONG_NUMBER,
    PackResult,
    Reason,
)

from ._base import Rule, run_rules

VERSION = "common-2026.1"
NAME = "common"

# Whoever represents the consumer for the debt may always be contacted instead of them.
ATTORNEY = "attorney"
ESTATE_REPRESENTATIVES = frozenset({"executor", "administrator", "estate_representative"})
# 1006.6(c)(2): after a cease, only these notices may still go out, in writing.
FINAL_NOTICE_CHANNELS = frozenset({"letter", "email"})


def applies(ctx: OutreachContext) -> bool:
    return True


def _debts(restrictions: list[RestrictionInfo]) -> str:
    ids = sorted({d for r in restrictions for d in r.debt_ids})
    return "all debts" if any(not r.debt_ids for r in restrictions) else f"debts {ids}"


def _permanent(restrictions: list[RestrictionInfo]) -> bool:
    return any(r.ends_at is None for r in restrictions)


def _until(restrictions: list[RestrictionInfo]) -> str:
    ends = [r.ends_at for r in restrictions if r.ends_at is not None]
    if _permanent(restrictions) or not ends:
        return "until lifted"
    return f"until {max(ends).isoformat()}"


def deceased(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.2(e), 1006.6(a)(4): a deceased debtor is reached only through the person who
    administers the estate."""
    if ctx.debtor_deceased and ctx.contact_point.relationship not in ESTATE_REPRESENTATIVES:
        yield Reason(
            DECEASED,
            "common:1006.6(a)(4)",
            "The debtor is deceased; contact only the estate's representative.",
            permanent=True,
        )


def wrong_number(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """Comment 14(b)(2)(i)-3: the number is not the person's."""
    if ctx.contact_point.wrong_number:
        yield Reason(
            WRONG_NUMBER,
            "common:14(b)(2)(i)-3",
            "This contact point is marked as a wrong number.",
            permanent=True,
        )


def _gate(
    ctx: OutreachContext, kind: str, code: str, rule: str, text: str, *, attorney_ok: bool
) -> Iterator[Reason]:
    if attorney_ok and ctx.contact_point.relationship == ATTORNEY:
        return
    found = matching_restrictions(ctx, kind, ctx.at)
    if found:
        yield Reason(
            code,
            rule,
            f"{text} ({_debts(found)}, {_until(found)}).",
            permanent=_permanent(found),
        )


def do_not_contact(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """A do-not-contact instruction (including a third party asking not to be called again,
    1006.10; CBA 2026)."""
    yield from _gate(
        ctx,
        "do_not_contact",
        DO_NOT_CONTACT,
        "common:do_not_contact",
        "Do not contact",
        attorney_ok=False,
    )


def cease(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.6(c)(1): written cease or refusal to pay, effective on receipt; 1006.6(c)(2) final
    notices may still go out in writing."""
    if ctx.purpose == "final_notice" and ctx.channel in FINAL_NOTICE_CHANNELS:
        return
    yield from _gate(
        ctx,
        "cease_communication",
        CEASE_COMMUNICATION,
        "common:1006.6(c)",
        "The consumer asked to cease communication",
        attorney_ok=True,
    )


def attorney(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.6(b)(2): the consumer is represented by an attorney for the debt."""
    yield from _gate(
        ctx,
        "attorney_represented",
        ATTORNEY_REPRESENTED,
        "common:1006.6(b)(2)",
        "The consumer is represented by an attorney; contact the attorney instead",
        attorney_ok=True,
    )


def bankruptcy(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """11 U.S.C. 362 automatic stay (and its equivalents): no collection while it runs."""
    yield from _gate(
        ctx,
        "bankruptcy",
        BANKRUPTCY,
        "common:11 USC 362",
        "Bankruptcy: collection is stayed",
        attorney_ok=True,
    )


def dispute(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.38(d)(2): a written dispute within the validation period stops collection of the
    debt until verification is sent."""
    yield from _gate(
        ctx,
        "dispute",
        DISPUTE_PENDING,
        "common:1006.38(d)(2)",
        "A dispute is pending",
        attorney_ok=True,
    )


def channel_ban(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.14(h): a request not to use a medium or an address; 1006.6(e): opt-out of
    electronic messages to an address or number."""
    found = matching_restrictions(ctx, "channel_ban", ctx.at, debt_scoped=False)
    if found:
        yield Reason(
            CHANNEL_OPT_OUT,
            "common:1006.14(h)",
            f"The consumer opted out of this channel or address ({_until(found)}).",
            permanent=_permanent(found),
        )


def workplace(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.6(b)(3): the employer prohibits the consumer from receiving such communication."""
    if not ctx.contact_point.is_workplace:
        return
    found = matching_restrictions(ctx, "workplace", ctx.at, debt_scoped=False)
    if found:
        yield Reason(
            WORKPLACE_PROHIBITED,
            "common:1006.6(b)(3)",
            f"Contact at the consumer's workplace is prohibited ({_until(found)}).",
            permanent=_permanent(found),
        )


def _parse(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def in_weekly_window(local: datetime, windows: tuple[tuple[int, str, str], ...]) -> bool:
    """Whether a local wall-clock time falls in one of the weekly windows [start, end); an end
    at or before the start runs past midnight into the next day."""
    now = local.time().replace(tzinfo=None)
    weekday = local.weekday()
    for day, start_s, end_s in windows:
        start, end = _parse(start_s), _parse(end_s)
        if start < end:
            if day == weekday and start <= now < end:
                return True
        elif (day == weekday and now >= start) or ((day + 1) % 7 == weekday and now < end):
            return True
    return False


def inconvenient_time(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.6(b)(1): times (and places) the consumer said are inconvenient. A later direct
    consent to an otherwise inconvenient time lifts it."""
    for r in matching_restrictions(ctx, "inconvenient_time", ctx.at, debt_scoped=False):
        if r.weekly_windows:
            hit = [
                f.zone_names[i]
                for i in f.person_zones
                if in_weekly_window(ctx.at.astimezone(f.zones[i]), r.weekly_windows)
            ]
            if not hit:
                continue
            where = f"in {', '.join(hit)}"
        else:
            where = "for this channel or contact point"
        if hours_consent_active(ctx, ctx.at) and any(
            c.kind == "inconvenient_time" and c.given_at >= r.effective_at and c.active(ctx.at)
            for c in ctx.consents
        ):
            continue
        yield Reason(
            CONSUMER_INCONVENIENT_TIME,
            "common:1006.6(b)(1)",
            f"The consumer said this time is inconvenient ({where}).",
            permanent=not r.weekly_windows and r.ends_at is None,
        )
        return


RULES: tuple[Rule, ...] = (
    deceased,
    wrong_number,
    do_not_contact,
    cease,
    attorney,
    bankruptcy,
    dispute,
    channel_ban,
    workplace,
    inconvenient_time,
)


def evaluate(ctx: OutreachContext, facts: Facts | None = None) -> PackResult:
    f = facts or Facts.build(ctx)
    return PackResult(reasons=run_rules(RULES, ctx, f))
