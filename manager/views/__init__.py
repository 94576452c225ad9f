"""Pages of the manager workspace (managers: their teams; admins: every team; others: 404)."""

from .allocation_rules import allocation_rule_active, allocation_rule_add, allocation_rule_remove
from .approvals import approvals, escalation_decide_view, plan_decide_view
from .cases import (
    case_list,
    case_score,
    cases_allocate_view,
    cases_reassign_view,
    cases_rotate_view,
    team_policy_view,
)
from .dashboard import dashboard, dashboard_csv, dashboard_refresh
from .escalations import (
    agency_place_view,
    agency_recall_view,
    case_escalation,
    complaint_add_view,
    escalations,
    legal_open_view,
    legal_step_view,
)
from .incentives import incentives
from .strategies import strategies

__all__ = [
    "agency_place_view",
    "agency_recall_view",
    "allocation_rule_active",
    "allocation_rule_add",
    "allocation_rule_remove",
    "approvals",
    "case_escalation",
    "case_list",
    "case_score",
    "cases_allocate_view",
    "cases_reassign_view",
    "cases_rotate_view",
    "complaint_add_view",
    "dashboard",
    "dashboard_csv",
    "dashboard_refresh",
    "escalation_decide_view",
    "escalations",
    "incentives",
    "legal_open_view",
    "legal_step_view",
    "plan_decide_view",
    "strategies",
    "team_policy_view",
]
