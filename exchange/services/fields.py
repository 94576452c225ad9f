"""Parsers for one cell each. A parser returns the clean value or raises CellError with a
message the sender can act on; the row checkers collect every error of a row, not the first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import available_timezones

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from phonenumbers import timezone as phone_timezone

from compliance.engine.timezones import MAX_ZONES_FOR_GEOGRAPHIC_NUMBER, US_REGION_ZONES

from .iso import CN_PROVINCES, COUNTRIES, CURRENCIES, GB_NATIONS

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")


class CellError(Exception):
    """A cell that cannot be taken as it is."""


def text_parse(value: str, *, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise CellError(_("This column is required."))
    if len(value) > max_length:
        raise CellError(_("At most %(n)d characters.") % {"n": max_length})
    return value


def money_parse(value: str, *, required: bool = False, positive: bool = False) -> Decimal | None:
    """A decimal amount with at most two decimals; no thousands separators, no currency sign."""
    value = (value or "").strip()
    if not value:
        if required:
            raise CellError(_("This column is required."))
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise CellError(_("Not an amount: write it like 1234.56.")) from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise CellError(_("Not an amount with at most two decimals."))
    if amount < 0 or (positive and amount == 0):
        raise CellError(
            _("The amount must be positive.") if positive else _("The amount cannot be negative.")
        )
    if amount > MAX_MONEY:
        raise CellError(_("The amount is too large."))
    return amount.quantize(CENT)


def int_parse(value: str, *, minimum: int = 0, maximum: int = 100_000) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise CellError(_("Not a whole number.")) from None
    if not minimum <= number <= maximum:
        raise CellError(_("Must be between %(lo)d and %(hi)d.") % {"lo": minimum, "hi": maximum})
    return number


def date_parse(value: str, *, required: bool = False) -> date | None:
    """ISO 8601 dates (2026-03-31) only: day/month order is ambiguous across creditors."""
    value = (value or "").strip()
    if not value:
        if required:
            raise CellError(_("This column is required."))
        return None
    try:
        return (
            date.fromisoformat(value[:10]) if len(value) in (10, 19) else date.fromisoformat(value)
        )
    except ValueError:
        raise CellError(_("Not a date: write it as YYYY-MM-DD.")) from None


def datetime_parse(value: str) -> datetime:
    """ISO 8601 with an offset; a time without offset is refused rather than guessed."""
    value = (value or "").strip()
    if not value:
        raise CellError(_("This column is required."))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CellError(_("Not a date and time: write it as 2026-03-31T14:05:00+00:00.")) from None
    if parsed.tzinfo is None:
        if len(value) == 10:
            raise CellError(_("Give the time with its UTC offset, e.g. 2026-03-31T14:05:00Z."))
        raise CellError(_("The time has no UTC offset."))
    return parsed


def country_parse(value: str) -> str:
    code = (value or "").strip().upper()
    if not code:
        raise CellError(_("This column is required."))
    if code not in COUNTRIES:
        raise CellError(_("Not an ISO 3166-1 alpha-2 country code."))
    return code


def region_parse(value: str, *, country: str | None) -> str:
    """US state or territory, CN province (ISO 3166-2 suffix), GB nation; free elsewhere."""
    code = (value or "").strip().upper()
    known = {"US": US_REGION_ZONES.keys(), "CN": CN_PROVINCES, "GB": GB_NATIONS}.get(country or "")
    if known is None:
        if len(code) > 10:
            raise CellError(_("At most %(n)d characters.") % {"n": 10})
        return code
    if not code:
        if country == "GB":
            return ""
        raise CellError(_("The region is required for this country (it decides the rules)."))
    if code not in known:
        raise CellError(_("Not a region code of %(country)s.") % {"country": country})
    return code


def phone_parse(value: str, *, country: str | None) -> str:
    """Any written form the creditor sends, stored as E.164."""
    read = phone_read(value, country=country)
    return read.e164 if read is not None else ""


@dataclass(frozen=True)
class Phone:
    """A checked phone number: E.164, and the zones of its prefix exactly as
    `compliance.engine.timezones.zones_for_phone` gives them for that E.164 value."""

    e164: str
    zones: tuple[str, ...]


_NOT_A_NUMBER = "not_a_number"
_NOT_VALID = "not_valid"


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=16384)
def _phone_read(value: str, country: str | None) -> Phone | str:
    """Parsed once per distinct written form: a file repeats a customer's number on each of
    their accounts. Errors come back as codes, so the message is translated per call."""
    try:
        number = phonenumbers.parse(value, country or None)
    except phonenumbers.NumberParseException:
        return _NOT_A_NUMBER
    if not phonenumbers.is_valid_number(number):
        return _NOT_VALID
    # The same filter as zones_for_phone: unknown names dropped, non-geographic ranges
    # (more zones than a place can have) say nothing.
    zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if z in _known_zones())
    if len(zones) > MAX_ZONES_FOR_GEOGRAPHIC_NUMBER:
        zones = ()
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), zones)


def phone_read(value: str, *, country: str | None) -> Phone | None:
    """`phone_parse` that keeps what parsing found: the zones of the number's prefix, so the
    contact point's zones need no second parse. None for an empty cell."""
    value = (value or "").strip()
    if not value:
        return None
    read = _phone_read(value, country or None)
    if isinstance(read, Phone):
        return read
    if read == _NOT_A_NUMBER:
        raise CellError(_("Not a phone number."))
    raise CellError(_("Not a valid phone number for its country."))


def email_parse(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise CellError(_("Not an email address.")) from None
    return value.lower()


def choice_parse(value: str, *, choices: list[str], default: str | None = None) -> str:
    value = (value or "").strip().lower()
    if not value and default is not None:
        return default
    if value not in choices:
        raise CellError(_("Must be one of: %(choices)s.") % {"choices": ", ".join(choices)})
    return value


def currency_parse(value: str) -> str:
    code = (value or "").strip().upper() or "USD"
    if code not in CURRENCIES:
        raise CellError(_("Not an ISO 4217 currency code."))
    return code
