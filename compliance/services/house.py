"""House policy: the organisation may only make the law stricter."""

from __future__ import annotations

from datetime import time
from time import monotonic
from typing import TYPE_CHECKING

from compliance.engine import HouseSettings as EngineHouseSettings

if TYPE_CHECKING:
    from compliance.models import HouseSettings

# The loosest numbers the law allows anywhere the product operates (Reg F 1006.14(b)(2);
# 1006.6(b)(1); CBA guideline 2026 daily attempts).
LAW_MAX_CALLS_PER_7_DAYS = 7
LAW_EARLIEST = time(8, 0)
LAW_LATEST = time(21, 0)
LAW_MAX_DAILY_ATTEMPTS = 6


def house_settings_validate(house: HouseSettings) -> dict[str, str]:
    errors: dict[str, str] = {}
    if house.max_calls_per_7_days is not None and house.max_calls_per_7_days > 7:
        errors["max_calls_per_7_days"] = "May not exceed Regulation F's 7 calls in 7 days."
    if (
        house.max_daily_attempts_per_contact_point is not None
        and house.max_daily_attempts_per_contact_point > LAW_MAX_DAILY_ATTEMPTS
    ):
        errors["max_daily_attempts_per_contact_point"] = "May not exceed the 6 a day the law sets."
    if house.earliest_local_time is not None and house.earliest_local_time < LAW_EARLIEST:
        errors["earliest_local_time"] = "May not start before 08:00 local time."
    if house.latest_local_time is not None and house.latest_local_time > LAW_LATEST:
        errors["latest_local_time"] = "May not end after 21:00 local time."
    if (
        house.earliest_local_time is not None
        and house.latest_local_time is not None
        and house.earliest_local_time >= house.latest_local_time
    ):
        errors["latest_local_time"] = "Must be after the earliest time."
    return errors


# The policy changes rarely (an admin edits it); the gate reads it on every decision. Each
# process keeps it for HOUSE_CACHE_SECONDS, so an edit applies everywhere within that time.
HOUSE_CACHE_SECONDS = 30.0
_house_cache: dict[str, tuple[float, EngineHouseSettings]] = {}


def house_policy_for_engine(house: HouseSettings | None) -> EngineHouseSettings:
    """The engine's plain-data form of the stored policy (None = the law alone)."""
    if house is None:
        return EngineHouseSettings()
    return EngineHouseSettings(
        max_calls_per_7_days=house.max_calls_per_7_days,
        earliest_local_time=house.earliest_local_time,
        latest_local_time=house.latest_local_time,
        max_daily_attempts_per_contact_point=house.max_daily_attempts_per_contact_point,
        max_contacts_per_7_days=house.max_contacts_per_7_days,
        no_contact_on_public_holidays=house.no_contact_on_public_holidays,
    )


def house_policy_cached() -> EngineHouseSettings:
    """The current policy as engine data, read at most once per HOUSE_CACHE_SECONDS."""
    from compliance.models import HouseSettings as HouseModel

    now = monotonic()
    hit = _house_cache.get("policy")
    if hit is not None and now - hit[0] < HOUSE_CACHE_SECONDS:
        return hit[1]
    # Read only: the row may not exist yet, and the gate must not write outside its purpose.
    policy = house_policy_for_engine(HouseModel.objects.filter(pk=1).first())
    _house_cache["policy"] = (now, policy)
    return policy


def house_policy_cache_clear() -> None:
    _house_cache.clear()
