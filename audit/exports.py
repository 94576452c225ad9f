"""History exports: CSV rows streamed from a server-side cursor.

On PostgreSQL the database writes each CSV line (`audit.export_sql`); the row-by-row Python
below is the reference it must match byte for byte, and the path on other databases."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from audit.export_sql import history_lines, history_lines_sql
from audit.selectors import COLUMNS
from config.csvsafe import csv_safe

EXPORT_CHUNK = 2000
# Rows per chunk of the PostgreSQL path: one fetch from the cursor, one string yielded.
EXPORT_SQL_CHUNK = 5000


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def reason_codes(why: Any) -> str:
    if not why:
        return ""
    if isinstance(why, list):
        return " ".join(str(r.get("code", r)) if isinstance(r, dict) else str(r) for r in why)
    return str(why)


def history_header() -> list[str]:
    return [
        _("Kind"),
        _("Time (UTC)"),
        _("Debtor id"),
        _("Debtor"),
        _("Case"),
        _("Team"),
        _("Contact point"),
        _("Channel"),
        _("Direction"),
        _("Outcome"),
        _("Source"),
        _("Collector"),
        _("Flagged"),
        _("Decision"),
        _("Reasons"),
        _("Record id"),
    ]


def history_values(row: dict[str, Any]) -> list[Any]:
    at: datetime | None = row["at"]
    return [
        row["row_kind"],
        at.isoformat() if at else "",
        row["debtor_ref"],
        row["debtor_name"],
        row["case_ref"] or "",
        row["team_name"] or "",
        row["contact_value"] or "",
        row["chan"],
        row["dir"],
        row["result"] or "",
        row["origin"],
        row["actor_name"] or "",
        "yes" if row["is_flagged"] else "",
        row["decision_ref"] or "",
        reason_codes(row["why"]),
        row["row_id"],
    ]


def csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so spreadsheet programs read the Chinese names as UTF-8
    yield writer.writerow([csv_safe(h) for h in header])
    for row in rows:
        yield writer.writerow([csv_safe(v) for v in row])


def reasons_cell(why_json: str) -> str:
    """The Reasons cell, quoted for CSV, of JSON that the SQL path leaves to Python."""
    return csv_cell(reason_codes(json.loads(why_json)))


def csv_cell(value: Any) -> str:
    """One cell exactly as `csv_lines` writes it (guarded, quoted when needed)."""
    return _CELL.writerow([csv_safe(value), ""])[:-3]


_CELL = csv.writer(_Echo(), lineterminator="\r\n")


def history_csv_rows(qs: models.QuerySet) -> Iterator[str]:
    """The history CSV formatted row by row in Python (the reference, and the path for
    databases other than PostgreSQL)."""
    rows = (history_values(r) for r in qs.iterator(chunk_size=EXPORT_CHUNK))
    return csv_lines(history_header(), rows)


def history_csv(qs: models.QuerySet) -> Iterator[str]:
    """Chunks of the history CSV; the queryset is read through a server-side cursor, so
    memory stays flat for millions of rows. On PostgreSQL the database formats the lines."""
    query = history_lines_sql(qs, COLUMNS)
    if query is None:
        yield from history_csv_rows(qs)
        return
    sql, params, db = query
    yield "\ufeff" + csv.writer(_Echo()).writerow([csv_safe(h) for h in history_header()])
    yield from history_lines(
        sql, params, db, chunk_rows=EXPORT_SQL_CHUNK, reasons_cell=reasons_cell
    )
