"""Plausible time zones of a person (DESIGN section 4, "Time").

Regulation F comment 6(b)(1)(i)-2: with conflicting or ambiguous location information, contact
only at times convenient in *all* plausible locations. So we collect every plausible zone: each
phone's area code, the address region, and an override; the packs then take the intersection
of their windows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from phonenumbers import timezone as phone_timezone

from compliance.engine.context import ZoneSource

_ET = "America/New_York"
_CT = "America/Chicago"
_MT = "America/Denver"
_PT = "America/Los_Angeles"

# Every US state, DC and the inhabited territories. States split between two zones list both
# (the part of the state in each zone is plausible from the state alone).
US_REGION_ZONES: dict[str, tuple[str, ...]] = {
    "AL": (_CT,),
    "AK": ("America/Anchorage", "America/Adak"),
    "AZ": ("America/Phoenix", _MT),  # the Navajo Nation keeps daylight time
    "AR": (_CT,),
    "CA": (_PT,),
    "CO": (_MT,),
    "CT": (_ET,),
    "DE": (_ET,),
    "DC": (_ET,),
    "FL": (_ET, _CT),  # the panhandle west of the Apalachicola is Central
    "GA": (_ET,),
    "HI": ("Pacific/Honolulu",),
    "ID": ("America/Boise", _PT),  # the panhandle is Pacific
    "IL": (_CT,),
    "IN": ("America/Indiana/Indianapolis", _CT),  # NW and SW counties are Central
    "IA": (_CT,),
    "KS": (_CT, _MT),
    "KY": (_ET, _CT),
    "LA": (_CT,),
    "ME": (_ET,),
    "MD": (_ET,),
    "MA": (_ET,),
    "MI": ("America/Detroit", "America/Menominee"),
    "MN": (_CT,),
    "MS": (_CT,),
    "MO": (_CT,),
    "MT": (_MT,),
    "NE": (_CT, _MT),
    "NV": (_PT, _MT),  # West Wendover is Mountain
    "NH": (_ET,),
    "NJ": (_ET,),
    "NM": (_MT,),
    "NY": (_ET,),
    "NC": (_ET,),
    "ND": (_CT, _MT),
    "OH": (_ET,),
    "OK": (_CT,),
    "OR": (_PT, "America/Boise"),  # Malheur County is Mountain
    "PA": (_ET,),
    "RI": (_ET,),
    "SC": (_ET,),
    "SD": (_CT, _MT),
    "TN": (_CT, _ET),
    "TX": (_CT, _MT),  # El Paso and Hudspeth are Mountain
    "UT": (_MT,),
    "VT": (_ET,),
    "VA": (_ET,),
    "WA": (_PT,),
    "WV": (_ET,),
    "WI": (_CT,),
    "WY": (_MT,),
    "PR": ("America/Puerto_Rico",),
    "VI": ("America/St_Thomas",),
    "GU": ("Pacific/Guam",),
    "MP": ("Pacific/Saipan",),
    "AS": ("Pacific/Pago_Pago",),
}
_US_TERRITORIES = frozenset({"PR", "VI", "GU", "MP", "AS"})

# China keeps one legal time (Beijing time) and the Chinese collection rules are written in it,
# so every province, Xinjiang included, resolves to Asia/Shanghai.
SINGLE_ZONE_COUNTRIES: dict[str, str] = {"CN": "Asia/Shanghai", "GB": "Europe/London"}

# A number that maps to more zones than this is not geographic (toll-free, non-geographic
# mobile ranges): it says nothing about where the person is, so it is ignored.
MAX_ZONES_FOR_GEOGRAPHIC_NUMBER = 4


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=4096)
def zones_for_phone(e164: str) -> list[str]:
    """Zones of a phone number from its prefix (``phonenumbers.timezone``).

    Unknown ("Etc/Unknown") and non-geographic results give an empty list.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return []
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z in _known_zones()]
    if len(zones) > MAX_ZONES_FOR_GEOGRAPHIC_NUMBER:
        return []
    return zones


def zones_for_region(country: str, region: str) -> list[str]:
    """Zones of an address region (US state / territory code, CN province, GB nation)."""
    country = (country or "").upper()
    region = (region or "").upper()
    if country in SINGLE_ZONE_COUNTRIES:
        return [SINGLE_ZONE_COUNTRIES[country]]
    if country == "US":
        return list(US_REGION_ZONES.get(region, ()))
    return []


def zones_for_country(country: str) -> list[str]:
    """Every zone of a country, for when nothing better is known.

    US: the 50 states and DC (mainland, Alaska, Hawaii); territories are left out because
    Guam or Samoa with the mainland leaves no common window at all.
    """
    country = (country or "").upper()
    if country in SINGLE_ZONE_COUNTRIES:
        return [SINGLE_ZONE_COUNTRIES[country]]
    if country == "US":
        seen: dict[str, None] = {}
        for region, zones in US_REGION_ZONES.items():
            if region not in _US_TERRITORIES:
                seen.update(dict.fromkeys(zones))
        return list(seen)
    return []


def resolve_zones(
    *,
    override: str | None,
    override_verified: bool,
    phones: Iterable[str],
    country: str,
    region: str,
    known: Mapping[str, Sequence[str]] | None = None,
) -> tuple[ZoneSource, ...]:
    """Every plausible zone of a person, with its source.

    A *verified* override is the person's confirmed location and replaces the guesses; an
    unverified override is one more plausible zone. With nothing known, the country's zones.
    ``known`` gives the zones of numbers already resolved (stored with the contact point when
    it was saved); other numbers are parsed.
    """
    if override and override in _known_zones() and override_verified:
        return (ZoneSource(override, "override"),)
    found: dict[str, str] = {}
    if override and override in _known_zones():
        found[override] = "override"
    for phone in phones:
        stored = known.get(phone) if known else None
        for zone in zones_for_phone(phone) if stored is None else stored:
            found.setdefault(zone, "phone_area_code")
    for zone in zones_for_region(country, region):
        found.setdefault(zone, "address_region")
    if not found:
        for zone in zones_for_country(country):
            found.setdefault(zone, "country_default")
    return tuple(ZoneSource(zone, source) for zone, source in found.items())


@lru_cache(maxsize=256)
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)
