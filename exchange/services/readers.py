"""Reading an uploaded table (CSV or XLSX) as header + rows of strings, streamed."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from django.utils.translation import gettext as _


class FileUnreadable(Exception):
    """The file as a whole cannot be read (format, encoding, no header)."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]  # (row number as the sender sees it, cells)


def _cell_text(value: object) -> str:
    """Spreadsheet cells come typed; the row checkers take text like a CSV gives."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Money typed into a spreadsheet is a float; two decimals is what it meant.
        return str(Decimal(repr(value)))
    return str(value).strip()


def _normalise_header(header: list[str]) -> list[str]:
    return [h.strip().lower().replace(" ", "_") for h in header]


def _csv_rows(handle: IO[bytes]) -> Table:
    text = codecs.getreader("utf-8-sig")(handle, errors="strict")
    reader = csv.reader(text)
    try:
        header = _normalise_header(next(reader))
    except StopIteration:
        raise FileUnreadable(_("The file is empty.")) from None
    except UnicodeDecodeError:
        raise FileUnreadable(_("The file is not UTF-8 text.")) from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for number, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                yield number, dict(zip(header, (c.strip() for c in cells), strict=False))
        except UnicodeDecodeError:
            raise FileUnreadable(_("The file is not UTF-8 text.")) from None
        except csv.Error as exc:
            raise FileUnreadable(_("The CSV is malformed: %(e)s") % {"e": exc}) from None

    return Table(header, rows())


def _xlsx_rows(handle: IO[bytes]) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception:
        raise FileUnreadable(_("The file is not an XLSX workbook.")) from None
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = _normalise_header([_cell_text(v) for v in next(values)])
    except StopIteration:
        raise FileUnreadable(_("The file is empty.")) from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, cells in enumerate(values, start=2):
            texts = [_cell_text(v) for v in cells]
            if not any(texts):
                continue
            yield number, dict(zip(header, texts, strict=False))
        workbook.close()

    return Table(header, rows())


def table_open(handle: IO[bytes], *, name: str) -> Table:
    """A table from an open binary file; the format comes from the name's extension."""
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return _xlsx_rows(handle)
    if lowered.endswith((".csv", ".txt")):
        return _csv_rows(handle)
    raise FileUnreadable(_("Upload a .csv or .xlsx file."))


def header_check(header: list[str], *, required: tuple[str, ...]) -> list[str]:
    """The required columns that are missing."""
    return [c for c in required if c not in header]
