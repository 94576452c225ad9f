"""US federal: CFPB Regulation F, 12 CFR part 1006 (pack ``us_federal``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta

from compliance.engine.context import CALL_CHANNELS, DEBTOR, OutreachContext
from compliance.engine.facts import Facts
from compliance.engine.result import (
    CALL_FREQUENCY_LIMIT,
    DAILY_NUMBER_VOLUME,
    EMPLOYER_EMAIL,
    NO_CHANNEL_CONSENT,
    POST_CONVERSATION_WAIT,
    RAPID_REDIAL,
    THIRD_PARTY_RESTRICTED,
    PackResult,
    Reason,
)

from ._base import Rule, hours_reasons, run_rules

NAME = "us_federal"
VERSION = "regf-2021-11-30"


@dataclass(frozen=True, slots=True)
class Settings:
    max_calls_in_window: int = 7  # 1006.14(b)(2)(i)(A)
    window_days: int = 7  # "within 7 consecutive days"
    conversation_wait_days: int = 7  # 1006.14(b)(2)(i)(B), conversation day = day 1
    earliest: time = time(8)  # 1006.6(b)(1)(i)
    latest: time = time(21)
    sms_consent_days: int = 60  # 1006.6(d)(5)
    rapid_redial: timedelta = timedelta(minutes=5)  # comment 14(b)(2)(i)-2
    daily_number_volume: int = 7  # comment 14(b)(2)(i)-2


SETTINGS = Settings()

# 1006.2(e), 1006.6(a): people who stand for the consumer; not location-only third parties.
CONSUMER_SIDE = frozenset(
    {
        "attorney",
        "spouse",
        "parent",
        "guardian",
        "executor",
        "administrator",
        "estate_representative",
    }
)
# Outcomes that mean a third party was communicated with (1006.10(c)).
COMMUNICATED = frozenset({"conversation", "delivered", "visited", "answered_dropped"})
UNANSWERED = frozenset({None, "no_answer", "voicemail_no_message", "voicemail"})


def applies(ctx: OutreachContext) -> bool:
    return ctx.debtor_country.upper() == "US"


def hours(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.6(b)(1)(i): before 8:00 a.m. or after 9:00 p.m. at the consumer's location is
    inconvenient, in every plausible zone (comment 6(b)(1)(i)-2)."""
    yield from hours_reasons(
        ctx,
        f,
        rule="us_federal:1006.6(b)(1)(i)",
        start=SETTINGS.earliest,
        end=SETTINGS.latest,
        zone_indices=f.person_zones,
    )


def call_frequency(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.14(b)(2)(i)(A) more than 7 calls within 7 consecutive days, and (B) a call within
    7 consecutive days after a telephone conversation (day 1 = its day); per person x debt,
    each plausible zone's local days, the strictest result. Calls with direct consent are
    excluded (1006.14(b)(3)(i))."""
    if ctx.channel not in CALL_CHANNELS:
        return
    person = ctx.person
    days = f.local_days(ctx.at)
    for debt in sorted(f.target_debts):
        for zi in f.person_zones:
            day = days[zi]
            if f.excluded_by_consent(
                person=person,
                debt=debt,
                contact_point_id=ctx.contact_point.id,
                at=ctx.at,
                day=day,
                zi=zi,
                candidate=True,
            ):
                continue
            calls, conversation_day = f.regf_bucket(
                person=person, debt=debt, at=ctx.at, day=day, zi=zi
            )
            zone = f.zone_names[zi]
            if conversation_day is not None:
                n = day - conversation_day + 1
                yield Reason(
                    POST_CONVERSATION_WAIT,
                    "us_federal:1006.14(b)(2)(i)(B)",
                    f"Debt {debt}: a conversation {n - 1} day(s) ago; this would be day {n} "
                    f"of the 7-day wait ({zone}).",
                )
                break
            if calls >= SETTINGS.max_calls_in_window:
                yield Reason(
                    CALL_FREQUENCY_LIMIT,
                    "us_federal:1006.14(b)(2)(i)(A)",
                    f"Debt {debt}: {calls} calls in the last 7 days ({zone}); this would be "
                    f"call {calls + 1}.",
                )
                break


def text_consent(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.6(d)(5): text only to a number the consumer texted from, or consented to, within
    the last 60 days."""
    if ctx.channel != "sms" or ctx.person != DEBTOR:
        return
    since = ctx.at - timedelta(days=SETTINGS.sms_consent_days)
    cp = ctx.contact_point.id
    for c in ctx.consents:
        if (
            c.kind == "sms"
            and c.person == DEBTOR
            and c.active(ctx.at)
            and c.given_at >= since
            and c.contact_point_id in (None, cp)
        ):
            return
    for ef in f.entries:
        e = ef.entry
        if ef.at > ctx.at:
            break
        if (
            e.channel == "sms"
            and e.direction == "inbound"
            and e.contact_point_id == cp
            and ef.at >= since
        ):
            return
    yield Reason(
        NO_CHANNEL_CONSENT,
        "us_federal:1006.6(d)(5)",
        "No text consent or text from this number within the last 60 days.",
        permanent=True,
    )


def employer_email(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.22(f)(3): no email to an address known to be provided by the employer, unless the
    consumer consented to it directly or emailed from it."""
    cp = ctx.contact_point
    if ctx.channel != "email" or not cp.is_employer_provided:
        return
    if any(
        c.kind == "email" and c.contact_point_id == cp.id and c.active(ctx.at) for c in ctx.consents
    ):
        return
    if any(
        ef.entry.direction == "inbound"
        and ef.entry.channel == "email"
        and ef.entry.contact_point_id == cp.id
        for ef in f.entries_until(ctx.at)
    ):
        return
    yield Reason(
        EMPLOYER_EMAIL,
        "us_federal:1006.22(f)(3)",
        "This email address is provided by the consumer's employer.",
        permanent=True,
    )


def third_party_once(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """1006.10(c): a location communication with a third party happens once, unless that person
    asks for more. Once a conversation (or a delivered message or a visit) with the third party
    is in the ledger, further outreach to them is blocked, unless they gave call-back consent."""
    cp = ctx.contact_point
    if not ctx.is_third_party or cp.relationship in CONSUMER_SIDE:
        return
    person = ctx.person
    if any(c.kind == "call_back" and c.person == person and c.active(ctx.at) for c in ctx.consents):
        return
    for ef in f.entries_until(ctx.at):
        if ef.entry.person == person and ef.entry.outcome in COMMUNICATED:
            yield Reason(
                THIRD_PARTY_RESTRICTED,
                "us_federal:1006.10(c)",
                "This third party was already communicated with once for location information.",
                permanent=True,
            )
            return


def warnings(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """Comment 14(b)(2)(i)-2: facts that can rebut the presumption of compliance."""
    if ctx.channel not in CALL_CHANNELS:
        return
    cp = ctx.contact_point.id
    to_number = [
        ef
        for ef in f.entries_until(ctx.at)
        if ef.entry.contact_point_id == cp
        and ef.entry.channel in CALL_CHANNELS
        and ef.entry.direction == "outbound"
    ]
    if any(
        ef.entry.outcome in UNANSWERED and ctx.at - ef.at < SETTINGS.rapid_redial
        for ef in to_number
    ):
        yield Reason(
            RAPID_REDIAL,
            "us_federal:comment 14(b)(2)(i)-2",
            "An unanswered call to this number less than 5 minutes ago.",
        )
    days = f.local_days(ctx.at)
    for zi in f.person_zones:
        today = [ef for ef in to_number if ef.days[zi] == days[zi] and ef.placed_call]
        if len(today) + 1 >= SETTINGS.daily_number_volume:
            yield Reason(
                DAILY_NUMBER_VOLUME,
                "us_federal:comment 14(b)(2)(i)-2",
                f"This would be call {len(today) + 1} to this number today.",
            )
            break


RULES: tuple[Rule, ...] = (
    hours,
    third_party_once,
    employer_email,
    text_consent,
    call_frequency,
)
WARNINGS: tuple[Rule, ...] = (warnings,)
WINDOW = (SETTINGS.earliest, SETTINGS.latest)


def evaluate(ctx: OutreachContext, facts: Facts | None = None) -> PackResult:
    f = facts or Facts.build(ctx)
    return PackResult(
        reasons=run_rules(RULES, ctx, f), warnings=run_rules(WARNINGS, ctx, f), window=WINDOW
    )
