"""The monthly incentive scorecard: amounts collected AND the quality of the work.

China's credit-card regulation (art. 66) forbids assessing collectors on amounts recovered
alone, and Regulation F makes every flagged contact a legal risk; so collections are at most
40 of 100 points and quality (kept promises, a clean compliance record, no upheld complaints)
carries the other 60. The weights are here, in one place, and shown on the page.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from accounts.models import User
from manager.models import Complaint

from .common import DateRange
from .team import CollectorFigures, team_figures

COLLECTION_POINTS = Decimal(40)
KEPT_POINTS = Decimal(30)
COMPLIANCE_POINTS = Decimal(20)
COMPLAINT_POINTS = Decimal(10)
PER_FLAG = Decimal(5)
PER_BLOCK = Decimal(1)
PER_UPHELD_COMPLAINT = Decimal(5)
PER_COMPLAINT = Decimal(1)


@dataclass
class IncentiveRow:
    figures: CollectorFigures
    complaints: int
    upheld: int
    collection_points: Decimal
    kept_points: Decimal
    compliance_points: Decimal
    complaint_points: Decimal

    @property
    def total(self) -> Decimal:
        return (
            self.collection_points
            + self.kept_points
            + self.compliance_points
            + self.complaint_points
        )


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def incentive_points(*, figures: CollectorFigures, complaints: int, upheld: int) -> IncentiveRow:
    # Collections: share of target, capped at 100 % so amounts cannot outweigh quality.
    if figures.target > 0:
        share = min(figures.collected / figures.target, Decimal(1))
        collection = COLLECTION_POINTS * max(share, Decimal(0))
    else:
        collection = COLLECTION_POINTS / 2  # no target set: neutral
    resolved = figures.promises_kept + figures.promises_broken
    if resolved:
        kept = KEPT_POINTS * Decimal(figures.promises_kept) / Decimal(resolved)
    else:
        kept = KEPT_POINTS / 2  # nothing fell due: neutral
    compliance = max(
        COMPLIANCE_POINTS - PER_FLAG * figures.flagged - PER_BLOCK * figures.blocks, Decimal(0)
    )
    complaint = max(
        COMPLAINT_POINTS - PER_UPHELD_COMPLAINT * upheld - PER_COMPLAINT * (complaints - upheld),
        Decimal(0),
    )
    return IncentiveRow(
        figures=figures,
        complaints=complaints,
        upheld=upheld,
        collection_points=_q(collection),
        kept_points=_q(kept),
        compliance_points=_q(compliance),
        complaint_points=_q(complaint),
    )


def month_range(month: date) -> DateRange:
    last = calendar.monthrange(month.year, month.month)[1]
    return DateRange(start=month.replace(day=1), end=month.replace(day=last))


def incentive_scorecard(
    *, user: User, month: date, team_id: int | None = None
) -> list[IncentiveRow]:
    period = month_range(month)
    figures = team_figures(user=user, period=period, today=period.end, team_id=team_id)
    ids = [f.collector.pk for f in figures]
    counts = {
        r["collector_id"]: r
        for r in Complaint.objects.filter(
            collector_id__in=ids, received_on__gte=period.start, received_on__lte=period.end
        )
        .values("collector_id")
        .annotate(n=Count("id"), upheld=Count("id", filter=Q(upheld=True)))
    }
    rows = [
        incentive_points(
            figures=f,
            complaints=counts.get(f.collector.pk, {}).get("n", 0),
            upheld=counts.get(f.collector.pk, {}).get("upheld", 0),
        )
        for f in figures
    ]
    return sorted(rows, key=lambda r: (-r.total, r.figures.collector.username))
