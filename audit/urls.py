from django.urls import path

from . import evidence_views, views

app_name = "audit"
urlpatterns = [
    path("", views.home, name="home"),
    path("export.csv", views.history_export, name="history_export"),
    path("records/", views.records, name="records"),
    path("decisions/<int:decision_id>/", views.decision_detail, name="decision"),
    path("decisions/<int:decision_id>/replay/", views.decision_replay_view, name="decision_replay"),
    path("attempts/<int:attempt_id>/", views.attempt_detail, name="attempt"),
    path("debtors/<int:debtor_id>/as-of/", views.debtor_as_of, name="debtor_as_of"),
    path("debtors/<int:debtor_id>/report.pdf", views.debtor_report, name="debtor_report"),
    path("cases/<int:case_id>/evidence/", evidence_views.case_evidence, name="case_evidence"),
    path("cases/<int:case_id>/evidence-pack.zip", views.evidence_pack, name="evidence_pack"),
    path(
        "evidence/<int:evidence_id>/download/",
        evidence_views.evidence_download,
        name="evidence_download",
    ),
]
