"""The shapes shared by the demo generators: who works (Staff), what one case is made of
(CaseSpec), and small helpers for money, weighted choices, local times and zones."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from compliance.engine import resolve_zones

from . import data

CENT = Decimal("0.01")
STATUSES = (
    "new",
    "active",
    "promise_to_pay",
    "payment_plan",
    "disputed",
    "legal",
    "agency",
    "paid",
    "settled",
    "closed",
)
STATUS_WEIGHTS = (8, 30, 12, 12, 4, 4, 4, 9, 6, 11)
OPEN_STATUSES = frozenset(STATUSES[:7])
NYC = "New York"


@dataclass
class Staff:
    """Demo users by team: ids only, so the generator never touches the ORM."""

    team_ids: dict[str, int]  # "US" / "CN" -> team id
    collectors: dict[str, list[int]]
    managers: dict[str, int]
    by_region: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class CaseSpec:
    """What the history, reminder and special-case steps need to know about one case."""

    index: int
    case: dict[str, Any]
    debtor: dict[str, Any]
    place: data.Place
    zones: tuple[Any, ...]  # ZoneSource of the debtor (all their phones and address)
    contact_points: list[dict[str, Any]]
    debts: list[dict[str, Any]]
    collector_id: int | None
    history_from: datetime
    history_to: datetime
    restrictions: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    promise: dict[str, Any] | None = None
    next_installment: dict[str, Any] | None = None
    inconvenient_hours: tuple[int, int] | None = None
    ledger: list[Any] = field(default_factory=list)
    no_work_calls: bool = False

    @property
    def country(self) -> str:
        return self.place.country

    @property
    def is_nyc(self) -> bool:
        return self.place.region == "NY" and self.place.city == NYC

    def cp(self, kind: str, *, employer: bool = False) -> dict[str, Any] | None:
        for cp in self.contact_points:
            if (
                cp["kind"] == kind
                and cp["owner"] == "debtor"
                and cp["is_employer_provided"] == employer
                and not cp["wrong_number"]
            ):
                return cp
        return None

    def consent_active(self, kind: str, at: datetime) -> bool:
        return any(c["kind"] == kind and c["given_at"] <= at for c in self.consents)


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@lru_cache(maxsize=64)
def _cumulative(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    return [p for p, _ in pairs], list(accumulate(w for _, w in pairs))


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    """One of `pairs` by weight. Cumulative weights are what `choices` computes from weights
    on every call: given once, the draw is the same and cheaper."""
    population, cumulative = _cumulative(pairs)
    return rng.choices(population, cum_weights=cumulative)[0]


_REPRESENTATIVE: dict[str, str] = {}


def _prefix(phone: str) -> str:
    # A zone comes from the number's leading digits (US: area code and exchange; CN, GB: the
    # country), never from the last digits.
    return phone[:8] if phone.startswith("+1") else phone[:6]


@lru_cache(maxsize=65536)
def _resolved(phone_prefix: str, country: str, region: str) -> tuple[Any, ...]:
    phones = [_REPRESENTATIVE[phone_prefix]] if phone_prefix else []
    return resolve_zones(
        override=None, override_verified=False, phones=phones, country=country, region=region
    )


def zones_for(phones: list[str], country: str, region: str) -> tuple[Any, ...]:
    """The engine's resolver (`resolve_zones`), memoised per number prefix so that millions of
    numbers cost a few thousand look-ups. Several phones: each phone's zones in order, then the
    address region's, the same union `resolve_zones` forms."""
    for phone in phones:
        _REPRESENTATIVE.setdefault(_prefix(phone), phone)
    if len(phones) <= 1:
        return _resolved(_prefix(phones[0]) if phones else "", country, region)
    found: dict[str, Any] = {}
    for phone in phones:
        for zone in _resolved(_prefix(phone), country, ""):
            if zone.source == "phone_area_code":
                found.setdefault(zone.zone, zone)
    for zone in _resolved("", country, region):
        found.setdefault(zone.zone, zone)
    return tuple(found.values())


def local_at(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))
