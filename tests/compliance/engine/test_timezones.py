"""Zone resolution and the intersection of windows across plausible zones."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from compliance.engine import (
    ZoneSource,
    evaluate,
    resolve_zones,
    validation_period_end,
    zones_for_country,
    zones_for_phone,
    zones_for_region,
)
from compliance.engine.dispute import assumed_receipt
from compliance.engine.timezones import US_REGION_ZONES

from .builders import at, codes, context

CT = ZoneInfo("America/Chicago")


def test_phone_zones_come_from_the_area_code():
    assert zones_for_phone("+12125550100") == ["America/New_York"]
    assert zones_for_phone("+8613800138000") == ["Asia/Shanghai"]


def test_unknown_and_non_geographic_numbers_give_no_zone():
    assert zones_for_phone("+447700900123") == []  # Etc/Unknown
    assert zones_for_phone("+18005550100") == []  # toll-free: the whole continent
    assert zones_for_phone("not a number") == []


def test_every_state_dc_and_puerto_rico_has_zones():
    states = set(
        [
            "AL",
            "AK",
            "AZ",
            "AR",
            "CA",
            "CO",
            "CT",
            "DE",
            "FL",
            "GA",
            "HI",
            "ID",
            "IL",
            "IN",
            "IA",
            "KS",
            "KY",
            "LA",
            "ME",
            "MD",
            "MA",
            "MI",
            "MN",
            "MS",
            "MO",
            "MT",
            "NE",
            "NV",
            "NH",
            "NJ",
            "NM",
            "NY",
            "NC",
            "ND",
            "OH",
            "OK",
            "OR",
            "PA",
            "RI",
            "SC",
            "SD",
            "TN",
            "TX",
            "UT",
            "VT",
            "VA",
            "WA",
            "WV",
            "WI",
            "WY",
            "DC",
            "PR",
        ]
    )
    assert states <= set(US_REGION_ZONES)
    assert zones_for_region("US", "TX") == ["America/Chicago", "America/Denver"]
    assert set(zones_for_region("US", "FL")) == {"America/New_York", "America/Chicago"}


def test_chinese_provinces_use_beijing_time_including_xinjiang():
    assert zones_for_region("CN", "XJ") == ["Asia/Shanghai"]
    assert zones_for_region("GB", "SCT") == ["Europe/London"]


def test_us_country_default_is_the_fifty_states_without_territories():
    zones = zones_for_country("US")
    assert {"America/New_York", "America/Anchorage", "Pacific/Honolulu"} <= set(zones)
    assert "Pacific/Guam" not in zones


def test_verified_override_replaces_the_guesses_and_an_unverified_one_adds_to_them():
    verified = resolve_zones(
        override="America/Denver",
        override_verified=True,
        phones=["+12125550100"],
        country="US",
        region="CA",
    )
    assert verified == (ZoneSource("America/Denver", "override"),)
    unverified = resolve_zones(
        override="America/Denver",
        override_verified=False,
        phones=["+12125550100"],
        country="US",
        region="CA",
    )
    assert [z.source for z in unverified] == ["override", "phone_area_code", "address_region"]


def test_nothing_known_falls_back_to_the_country_zones():
    zones = resolve_zones(
        override=None, override_verified=False, phones=[], country="US", region=""
    )
    assert zones and {z.source for z in zones} == {"country_default"}


def test_texas_address_is_judged_in_both_central_and_mountain_time():
    zones = resolve_zones(
        override=None, override_verified=False, phones=[], country="US", region="TX"
    )
    tx = {"zones": zones, "debtor_region": "TX"}
    early = evaluate(context(at(2020, 4, 8, 8, 30, zone=CT), **tx))  # 07:30 in El Paso
    assert codes(early) == {"OUTSIDE_CONTACT_HOURS"}
    assert early.next_allowed_at == at(2020, 4, 8, 9, zone=CT)
    assert evaluate(context(at(2020, 4, 8, 20, 59, zone=CT), **tx)).allowed
    assert not evaluate(context(at(2020, 4, 8, 21, zone=CT), **tx)).allowed


def test_us_country_default_leaves_a_short_afternoon_window():
    # Nothing known: mainland + Alaska + Hawaii. In April (daylight time) the common window is
    # 14:00-21:00 Eastern (08:00-15:00 in Honolulu).
    zones = resolve_zones(
        override=None, override_verified=False, phones=[], country="US", region=""
    )
    ny = ZoneInfo("America/New_York")
    morning = evaluate(context(at(2020, 4, 8, 13, 59, zone=ny), zones=zones))
    assert codes(morning) == {"OUTSIDE_CONTACT_HOURS"}
    assert morning.next_allowed_at == at(2020, 4, 8, 14, zone=ny)
    assert evaluate(context(at(2020, 4, 8, 14, zone=ny), zones=zones)).allowed


def test_shanghai_phone_and_los_angeles_address_share_a_los_angeles_evening_window():
    # Two 13-hour windows on a 24-hour clock always overlap: LA 17:00-21:00 is Shanghai
    # 08:00-12:00 the next day.
    zones = (
        ZoneSource("Asia/Shanghai", "phone_area_code"),
        ZoneSource("America/Los_Angeles", "address_region"),
    )
    la = ZoneInfo("America/Los_Angeles")
    noon = evaluate(context(at(2020, 4, 8, 12, zone=la), zones=zones, debtor_region="CA"))
    assert codes(noon) == {"OUTSIDE_CONTACT_HOURS"}
    assert noon.next_allowed_at == at(2020, 4, 8, 17, zone=la)


def test_three_zones_spread_round_the_world_have_no_permitted_window():
    zones = (
        ZoneSource("Asia/Shanghai", "phone_area_code"),
        ZoneSource("Europe/London", "phone_area_code"),
        ZoneSource("America/Los_Angeles", "address_region"),
    )
    decision = evaluate(context(at(2020, 4, 8, 12), zones=zones, debtor_region="CA"))
    assert codes(decision) == {"NO_PERMITTED_WINDOW"}
    assert decision.next_allowed_at is None


def test_unknown_zone_is_a_warning_and_utc_is_used():
    decision = evaluate(context(at(2020, 4, 8, 12), zones=(), debtor_country="DE"))
    assert "ZONE_UNKNOWN" in {w.code for w in decision.warnings}


def test_validation_period_skips_weekends_and_federal_holidays():
    # Thu 2020-07-02; Fri 07-03 is Independence Day observed: receipt Fri 07-10.
    assert assumed_receipt(date(2020, 7, 2)) == date(2020, 7, 10)
    assert validation_period_end(date(2020, 7, 2)) == date(2020, 8, 9)
    assert validation_period_end(date(2020, 4, 1)) == date(2020, 5, 8)
