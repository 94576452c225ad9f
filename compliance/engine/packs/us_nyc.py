"""New York City overlay (pack ``us_nyc``): DCWP debt collection rules, 6 RCNY 5-77
(amended, in force 2025).

At most 3 attempts to communicate with the consumer in 7 days across all channels, per
creditor; email and text only with the consumer's express written consent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from compliance.engine.context import DEBTOR, OutreachContext
from compliance.engine.facts import Facts
from compliance.engine.result import (
    CONTACT_FREQUENCY_LIMIT,
    NO_CHANNEL_CONSENT,
    PackResult,
    Reason,
)

from ._base import Rule, run_rules

NAME = "us_nyc"
VERSION = "6rcny5-77-2025"


@dataclass(frozen=True, slots=True)
class Settings:
    max_attempts: int = 3
    window_days: int = 7


SETTINGS = Settings()
NYC_CITIES = frozenset(
    {
        "new york",
        "new york city",
        "nyc",
        "manhattan",
        "brooklyn",
        "bronx",
        "the bronx",
        "queens",
        "staten island",
    }
)
# An attempt that never reached any line or address of the consumer.
NOT_ATTEMPTS = frozenset({"not_in_service", "failed", "wrong_number"})
CONSENT_CHANNELS = frozenset({"sms", "email"})


def applies(ctx: OutreachContext) -> bool:
    return (
        ctx.debtor_country.upper() == "US"
        and ctx.debtor_region.upper() == "NY"
        and ctx.debtor_city.strip().lower() in NYC_CITIES
    )


def attempts(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """6 RCNY 5-77: no more than 3 attempts to communicate in a 7-day period, all channels,
    per creditor (busy signals are attempts too)."""
    if ctx.person != DEBTOR:
        return
    creditors: dict[str, frozenset[int]] = {}
    for debt_id in f.target_debts:
        debt = f.debts.get(debt_id)
        if debt is not None:
            creditors.setdefault(debt.creditor, frozenset())
    for creditor in list(creditors):
        creditors[creditor] = frozenset(d.id for d in f.debts.values() if d.creditor == creditor)
    entries = [
        ef
        for ef in f.entries_until(ctx.at)
        if ef.entry.person == DEBTOR
        and ef.entry.direction == "outbound"
        and ef.entry.outcome not in NOT_ATTEMPTS
        and (ef.entry.contact_point_id is None or ef.entry.contact_point_id not in f.wrong_ids)
    ]
    days = f.local_days(ctx.at)
    for creditor, debt_ids in sorted(creditors.items()):
        for zi in f.person_zones:
            day = days[zi]
            n = sum(
                1
                for ef in entries
                if ef.debts & debt_ids and day - SETTINGS.window_days < ef.days[zi] <= day
            )
            if n >= SETTINGS.max_attempts:
                yield Reason(
                    CONTACT_FREQUENCY_LIMIT,
                    "us_nyc:6 RCNY 5-77",
                    f"Creditor {creditor}: {n} attempts in the last 7 days (limit "
                    f"{SETTINGS.max_attempts}).",
                )
                break


def channel_consent(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """6 RCNY 5-77: email and text only with the consumer's express written consent."""
    if ctx.channel not in CONSENT_CHANNELS or ctx.person != DEBTOR:
        return
    for c in ctx.consents:
        if (
            c.kind == ctx.channel
            and c.person == DEBTOR
            and c.active(ctx.at)
            and c.contact_point_id in (None, ctx.contact_point.id)
        ):
            return
    yield Reason(
        NO_CHANNEL_CONSENT,
        "us_nyc:6 RCNY 5-77",
        f"No express written consent to {ctx.channel} (New York City).",
        permanent=True,
    )


RULES: tuple[Rule, ...] = (channel_consent, attempts)


def evaluate(ctx: OutreachContext, facts: Facts | None = None) -> PackResult:
    f = facts or Facts.build(ctx)
    return PackResult(reasons=run_rules(RULES, ctx, f))
