"""Validation period of a debt (12 CFR 1006.34(b)(5)), for dispute restrictions."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

RECEIPT_BUSINESS_DAYS = 5  # 1006.34(b)(5): assumed receipt, excluding weekends and holidays
VALIDATION_PERIOD_DAYS = 30  # 1006.34(b)(5): ends 30 days after receipt


@lru_cache(maxsize=32)
def _federal_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("US", years=year)


def _is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def assumed_receipt(sent_on: date) -> date:
    """1006.34(b)(5): receipt assumed any date up to 5 days (excluding legal public holidays
    under 5 U.S.C. 6103(a), Saturdays and Sundays) after the notice is provided."""
    day = sent_on
    counted = 0
    while counted < RECEIPT_BUSINESS_DAYS:
        day += timedelta(days=1)
        if _is_business_day(day):
            counted += 1
    return day


def validation_period_end(sent_on: date) -> date:
    """1006.34(b)(5): the validation period ends 30 days after the assumed receipt."""
    return assumed_receipt(sent_on) + timedelta(days=VALIDATION_PERIOD_DAYS)
