"""History exports: CSV rows streamed from a server-side cursor, one row at a time."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from config.csvsafe import csv_safe

EXPORT_CHUNK = 2000


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


def history_csv(qs: models.QuerySet) -> Iterator[str]:
    """Lines of the history CSV; the queryset is read through a server-side cursor in chunks,
    so memory stays flat for millions of rows."""
    rows = (history_values(r) for r in qs.iterator(chunk_size=EXPORT_CHUNK))
    return csv_lines(history_header(), rows)
