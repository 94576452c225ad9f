"""Telephone numbers that `phonenumbers` accepts as valid, generated fast.

Validity of a number depends on its leading digits (US: area code and exchange; CN: the mobile
range; GB: the range), so each prefix is validated once and the subscriber digits are drawn
freely. Parsing every one of millions of numbers would dominate a large seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache

import phonenumbers

from . import data


def _valid(e164: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False


@cache
def _valid_prefix(prefix: str, rest_len: int) -> bool:
    """Whether numbers starting with `prefix` and `rest_len` more digits are valid."""
    samples = ("4821937465"[:rest_len], "0637281954"[:rest_len])
    return all(_valid(prefix + s) for s in samples)


class PhoneMaker:
    """Draws numbers from a seeded random generator; every number is unique per maker."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._seen: set[str] = set()

    def _draw(self, heads: Sequence[str], lead_digits: int, rest_len: int) -> str:
        """A number `head + lead + rest`: the head and lead are validated once (cached)."""
        rng = self.rng
        for _ in range(200):
            head = rng.choice(heads)
            lead = f"{rng.randrange(10**lead_digits):0{lead_digits}d}" if lead_digits else ""
            if lead.startswith(("0", "1")) or not _valid_prefix(head + lead, rest_len):
                continue
            number = f"{head}{lead}{rng.randrange(10**rest_len):0{rest_len}d}"
            if number not in self._seen:
                self._seen.add(number)
                return number
        raise RuntimeError(f"no valid number found for {heads}")

    def mobile(self, place: data.Place) -> str:
        if place.country == "CN":
            return self._draw([f"+86{p}" for p in data.CN_MOBILE_PREFIXES], 0, 8)
        if place.country == "GB":
            return self._draw([f"+44{p}" for p in data.GB_MOBILE_PREFIXES], 0, 6)
        return self.landline(place)  # US mobiles share the geographic area codes

    def landline(self, place: data.Place) -> str:
        if place.country == "CN":
            # Local numbers in the cities of the demo have eight digits.
            return self._draw([f"+86{p}" for p in place.landline_prefixes], 2, 6)
        if place.country == "GB":
            rest = 6 if place.landline_prefixes[0] in ("20", "29") else 5
            return self._draw([f"+44{p}" for p in place.landline_prefixes], 2, rest)
        # US: area code, then an exchange (NXX; 555 left out), then four digits.
        for _ in range(200):
            number = self._draw([f"+1{p}" for p in place.landline_prefixes], 3, 4)
            if number[5:8] != "555" and number[6:8] != "11":
                return number
        raise RuntimeError("no valid US number")
