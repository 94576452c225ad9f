"""The contact-history report of one debtor, as a PDF.

Fonts: the report is set in reportlab's built-in CID font STSong-Light (Adobe-GB1), which
covers Latin and Simplified Chinese. CID fonts are referenced, not embedded, so the file stays
small and needs no font file on the server; every mainstream viewer (Acrobat, Chrome's and
Firefox's viewers, poppler, macOS Preview) maps them to an installed or bundled CJK font. An
archive that must be self-contained (PDF/A) would embed a TTF instead (e.g. Noto Sans SC via
`TTFont`)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from audit.exports import reason_codes
from collections_app.models import Debtor

FONT = "STSong-Light"
MAX_ROWS = 5000
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text if text is not None else "")), style)


def debtor_history_pdf(
    *, debtor: Debtor, rows: Iterable[dict[str, Any]], generated_by: str, generated_at: datetime
) -> bytes:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=19, spaceAfter=4)
    meta = ParagraphStyle("meta", fontName=font, fontSize=9, leading=12)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_("Contact history: %(name)s") % {"name": debtor.full_name},
        author=generated_by,
    )
    story: list[Any] = [
        _p(_("Contact history: %(name)s") % {"name": debtor.full_name}, title),
        _p(
            _("Debtor %(id)s · %(country)s %(region)s · %(city)s")
            % {
                "id": debtor.pk,
                "country": debtor.country,
                "region": debtor.region,
                "city": debtor.city,
            },
            meta,
        ),
        _p(
            _("Generated %(at)s UTC by %(who)s. Times are UTC.")
            % {"at": generated_at.strftime("%Y-%m-%d %H:%M"), "who": generated_by},
            meta,
        ),
        Spacer(1, 4 * mm),
    ]
    header = [
        _("Time (UTC)"),
        _("Kind"),
        _("Channel"),
        _("Contact point"),
        _("Outcome"),
        _("Source"),
        _("Collector"),
        _("Flagged"),
        _("Reasons"),
    ]
    data: list[list[Any]] = [[_p(h, body) for h in header]]
    shown = 0
    for row in rows:
        if shown >= MAX_ROWS:
            break
        at = row["at"]
        kind = _("Attempt") if row["row_kind"] == "attempt" else _("Blocked try")
        data.append(
            [
                _p(at.strftime("%Y-%m-%d %H:%M") if at else "", body),
                _p(kind, body),
                _p(row["chan"], body),
                _p(row["contact_value"] or "", body),
                _p(row["result"] or "", body),
                _p(row["origin"], body),
                _p(row["actor_name"] or "", body),
                _p(_("yes") if row["is_flagged"] else "", body),
                _p(reason_codes(row["why"]), body),
            ]
        )
        shown += 1
    widths = [30, 22, 18, 38, 30, 20, 28, 16, 70]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ebf0")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c0c6d0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    if shown == 0:
        story.append(_p(_("No contact on record."), meta))
    if shown >= MAX_ROWS:
        story.append(
            _p(
                _("Only the latest %(n)s entries are shown; export CSV for all.") % {"n": MAX_ROWS},
                meta,
            )
        )
    doc.build(story)
    return buffer.getvalue()
