from django.urls import path

from manager.api import EscalationRequestView, PlanDecisionView, ReassignView, TeamFiguresView

urlpatterns = [
    path("manager/team-figures/", TeamFiguresView.as_view(), name="api-manager-team-figures"),
    path("manager/cases/reassign/", ReassignView.as_view(), name="api-manager-reassign"),
    path(
        "manager/plans/<int:plan_id>/decision/",
        PlanDecisionView.as_view(),
        name="api-manager-plan-decision",
    ),
    path("escalation-requests/", EscalationRequestView.as_view(), name="api-escalation-requests"),
]
