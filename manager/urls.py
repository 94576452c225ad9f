from django.urls import path

from . import views

app_name = "manager"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.dashboard_csv, name="dashboard_csv"),
    path("refresh/", views.dashboard_refresh, name="dashboard_refresh"),
    path("cases/", views.case_list, name="cases"),
    path("cases/reassign/", views.cases_reassign_view, name="cases_reassign"),
    path("cases/allocate/", views.cases_allocate_view, name="cases_allocate"),
    path("cases/rotate/", views.cases_rotate_view, name="cases_rotate"),
    path("policy/", views.team_policy_view, name="team_policy"),
    path("allocation-rules/", views.allocation_rule_add, name="allocation_rule_add"),
    path(
        "allocation-rules/<int:rule_id>/active/",
        views.allocation_rule_active,
        name="allocation_rule_active",
    ),
    path(
        "allocation-rules/<int:rule_id>/delete/",
        views.allocation_rule_remove,
        name="allocation_rule_remove",
    ),
    path("cases/<int:case_id>/score/", views.case_score, name="case_score"),
    path("cases/<int:case_id>/escalation/", views.case_escalation, name="case_escalation"),
    path("cases/<int:case_id>/agency/", views.agency_place_view, name="agency_place"),
    path("cases/<int:case_id>/legal/", views.legal_open_view, name="legal_open"),
    path("cases/<int:case_id>/complaints/", views.complaint_add_view, name="complaint_add"),
    path("legal/<int:action_id>/steps/", views.legal_step_view, name="legal_step"),
    path("placements/<int:placement_id>/recall/", views.agency_recall_view, name="agency_recall"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/plans/<int:plan_id>/", views.plan_decide_view, name="plan_decide"),
    path(
        "approvals/escalations/<int:request_id>/",
        views.escalation_decide_view,
        name="escalation_decide",
    ),
    path("escalations/", views.escalations, name="escalations"),
    path("incentives/", views.incentives, name="incentives"),
    path("strategies/", views.strategies, name="strategies"),
]
