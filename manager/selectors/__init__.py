"""Reads of the manager workspace (see each module)."""

from . import portfolio, rolls
from .approvals import (
    agency_placements,
    escalations_due,
    escalations_pending,
    legal_actions,
    plans_pending,
)
from .cases import METRICS, CaseFilters, case_list, case_rows
from .common import DateRange, collectors_for, month_to_date, target_share, teams_for
from .incentives import incentive_points, incentive_scorecard, month_range
from .portfolio import (
    buckets,
    recovery_curves,
    reminder_outcomes,
    strategy_comparison,
    unassigned_count,
)
from .rolls import RollRates, roll_rates, roll_rates_report
from .team import CollectorFigures, team_figures, team_totals

__all__ = [
    "METRICS",
    "CaseFilters",
    "CollectorFigures",
    "DateRange",
    "RollRates",
    "agency_placements",
    "buckets",
    "case_list",
    "case_rows",
    "collectors_for",
    "escalations_due",
    "escalations_pending",
    "incentive_points",
    "incentive_scorecard",
    "legal_actions",
    "month_range",
    "month_to_date",
    "plans_pending",
    "portfolio",
    "recovery_curves",
    "reminder_outcomes",
    "roll_rates",
    "roll_rates_report",
    "rolls",
    "strategy_comparison",
    "target_share",
    "team_figures",
    "team_totals",
    "teams_for",
    "unassigned_count",
]
