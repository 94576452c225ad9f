"""CSV for spreadsheets: streamed, and safe against formula injection (OWASP "CSV
injection"): a text cell starting with = + - @ tab or CR is prefixed with an apostrophe so a
spreadsheet shows it as text instead of running it."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from config.csvsafe import csv_safe


def cell_safe(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return csv_safe(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Lines of CSV, one at a time, so a response of millions of rows holds one in memory."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)  # BOM: spreadsheets then read UTF-8 names right
    for row in rows:
        yield writer.writerow([cell_safe(v) for v in row])
