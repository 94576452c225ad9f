"""Neutralise spreadsheet formula injection in CSV/XLSX exports (OWASP "CSV Injection").

A cell that starts with = + - @ (or a tab / carriage return that some spreadsheets skip
before them) is evaluated as a formula when the file is opened; prefixing a single quote makes
it text. Numbers are left alone, so negative amounts stay numbers.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_safe(value: Any) -> Any:
    """The value as an export cell: strings that a spreadsheet would run get a leading "'"."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_safe_row(values: Iterable[Any]) -> list[Any]:
    """`csv_safe` over a row, for `writer.writerow(csv_safe_row(row))`."""
    return [csv_safe(v) for v in values]
