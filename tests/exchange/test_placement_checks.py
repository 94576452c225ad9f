"""Placement rows: a phone number is parsed once, and what that parse found (E.164, validity,
the zones of its prefix) gives the same errors and the same stored zones as checking the
number and then resolving the contact point's zones from its E.164 value."""

import phonenumbers
import pytest
from django.utils import translation

from collections_app.models import ContactPoint
from compliance.engine.timezones import resolve_zones, zones_for_phone
from exchange.services.fields import CellError, phone_parse, phone_read
from exchange.services.placements import _contact_timezones, placement_row_check

from .conftest import dict_csv, run_import

# (written form, debtor country, debtor region)
SAMPLE = [
    ("(212) 736-1234", "US", "NY"),
    ("212.736.1234", "US", "CA"),  # the number's zone and the address's differ: both kept
    ("+1 701 736 1234", "US", "ND"),  # two zones for one prefix
    ("605-736-1234", "US", "SD"),  # two zones for one prefix
    ("605-736-1234", "US", "FL"),  # two from the number, two more from the state
    ("+1 850 736 1234", "US", "FL"),
    ("(915) 533-1234", "US", "TX"),
    ("+1 800 234 5678", "US", "NY"),  # toll-free: says nothing about where the person is
    ("+1 800 234 5678", "US", ""),  # ... and no region either: the whole country
    ("212-736-1234 ext. 12", "US", "NY"),
    ("+86 138 0013 8000", "CN", "GD"),
    ("13800138000", "CN", "BJ"),
    ("010 6552 9988", "CN", "BJ"),
    ("0991 123 4567", "CN", "XJ"),
    ("+86 138 0013 8000", "US", "NY"),  # a Chinese number of a debtor living in New York
    ("020 7946 0018", "GB", ""),
    ("+44 20 7946 0018", "DE", ""),
    ("+44 7700 900123", "GB", ""),  # not a valid number
    ("555-12", "US", "NY"),
    ("abc", "US", "NY"),
    ("+1 999 999 9999", "US", "NY"),
    ("12345", "CN", "GD"),
    ("+86 123", "CN", "GD"),
    ("+", "US", "NY"),
    ("", "US", "NY"),
]


def check_then_resolve(value: str, country: str, region: str) -> tuple[str, list[dict]]:
    """The way rows were checked before: parse to validate, then parse the E.164 value again
    (zones_for_phone) to resolve the contact point's zones."""
    value = value.strip()
    if not value:
        return "", []
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        return "error: Not a phone number.", []
    if not phonenumbers.is_valid_number(number):
        return "error: Not a valid phone number for its country.", []
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    zones = resolve_zones(
        override=None, override_verified=False, phones=[e164], country=country, region=region
    )
    return e164, [{"zone": z.zone, "source": z.source} for z in zones]


def read_once(value: str, country: str, region: str) -> tuple[str, list[dict]]:
    try:
        phone = phone_read(value, country=country)
    except CellError as exc:
        return f"error: {exc}", []
    if phone is None:
        return "", []
    debtor = {"country": country, "region": region}
    zones = _contact_timezones("mobile", phone.e164, debtor, {phone.e164: phone.zones})
    return phone.e164, zones


@pytest.mark.parametrize(("value", "country", "region"), SAMPLE)
def test_one_parse_gives_the_same_number_error_and_zones(value, country, region):
    with translation.override("en"):
        assert read_once(value, country, region) == check_then_resolve(value, country, region)
        # Read again (now from the cache of written forms): still the same.
        assert read_once(value, country, region) == check_then_resolve(value, country, region)


def test_the_sample_holds_numbers_with_two_zones_and_numbers_with_none():
    counts = set()
    for value, country, _region in SAMPLE:
        phone = None
        try:
            phone = phone_read(value, country=country)
        except CellError:
            continue
        if phone is not None:
            assert list(phone.zones) == zones_for_phone(phone.e164)
            counts.add(len(phone.zones))
    assert {0, 1, 2} <= counts


def test_a_cached_error_is_translated_in_the_language_of_each_call():
    with translation.override("en"):
        english = read_once("555-12", "US", "NY")[0]
    with translation.override("zh-hans"):
        chinese = read_once("555-12", "US", "NY")[0]
    assert english == "error: Not a valid phone number for its country."
    assert chinese != english


def test_phone_parse_still_gives_e164_or_the_same_error():
    assert phone_parse(" (212) 736-1234 ", country="US") == "+12127361234"
    assert phone_parse("", country="US") == ""
    with pytest.raises(CellError):
        phone_parse("abc", country="US")


# The rows of a file: a US row needs its state (a row without one fails on that column).
FILE_SAMPLE = [s for s in SAMPLE if s[1] != "US" or s[2]]


def row_for(index: int, value: str, country: str, region: str) -> dict[str, str]:
    return {
        "creditor": "Zone Bank",
        "account_number": f"Z-{index}",
        "customer_id": f"ZC-{index}",
        "full_name": "Sam Lee",
        "country": country,
        "region": region,
        "mobile": value,
        "landline": "",
        "product": "credit_card",
        "currency": "USD",
        "balance": "100.00",
    }


def test_a_row_reports_its_phone_error_or_keeps_the_number_and_its_zones():
    for index, (value, country, region) in enumerate(FILE_SAMPLE):
        with translation.override("en"):
            row, problems = placement_row_check(index + 2, row_for(index, value, country, region))
            expected, _zones = check_then_resolve(value, country, region)
        if expected.startswith("error: "):
            assert row is None
            assert [(p.column, p.message) for p in problems] == [("mobile", expected[7:])]
        else:
            assert problems == []
            assert row.contacts == ([("mobile", expected)] if expected else [])


@pytest.mark.django_db
def test_imported_contact_points_store_the_zones_resolved_from_their_number(manager, team):
    rows = [row_for(i, *sample) for i, sample in enumerate(FILE_SAMPLE)]
    with translation.override("en"):
        batch = run_import(
            kind="placements", content=dict_csv(rows), actor=manager, team=team, valid_only=True
        )
    assert batch.status == "partial"
    expected_errors = []
    expected_points = {}
    for index, (value, country, region) in enumerate(FILE_SAMPLE):
        e164, zones = check_then_resolve(value, country, region)
        if e164.startswith("error: "):
            expected_errors.append((index + 2, "mobile", e164[7:]))
        elif e164:
            expected_points[f"Z-{index}"] = (e164, zones)
    assert sorted(batch.errors.values_list("row_number", "column", "message")) == expected_errors
    stored = {
        p.debtor.debts.get().account_number: (p.value, p.timezones)
        for p in ContactPoint.objects.filter(kind="mobile").select_related("debtor")
    }
    assert stored == expected_points
