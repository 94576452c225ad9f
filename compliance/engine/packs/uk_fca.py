"""United Kingdom (pack ``uk_fca``): FCA CONC 7.9.4R, no contact at unreasonable times or at
unreasonable frequency. No statutory number exists: the window is 08:00-21:00 local and
frequency is left to the house caps; the customer's requests are the common gates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time

from compliance.engine.context import OutreachContext
from compliance.engine.facts import Facts
from compliance.engine.result import PackResult, Reason

from ._base import Rule, hours_reasons, run_rules

NAME = "uk_fca"
VERSION = "conc7-2024"


@dataclass(frozen=True, slots=True)
class Settings:
    earliest: time = time(8)
    latest: time = time(21)


SETTINGS = Settings()


def applies(ctx: OutreachContext) -> bool:
    return ctx.debtor_country.upper() in {"GB", "UK"}


def hours(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """CONC 7.9.4R(1): contact at unreasonable times."""
    yield from hours_reasons(
        ctx,
        f,
        rule="uk_fca:CONC 7.9.4R",
        start=SETTINGS.earliest,
        end=SETTINGS.latest,
        zone_indices=f.person_zones,
    )


RULES: tuple[Rule, ...] = (hours,)
WINDOW = (SETTINGS.earliest, SETTINGS.latest)


def evaluate(ctx: OutreachContext, facts: Facts | None = None) -> PackResult:
    f = facts or Facts.build(ctx)
    return PackResult(reasons=run_rules(RULES, ctx, f), window=WINDOW)
