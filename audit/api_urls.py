from django.urls import path

from . import api

urlpatterns = [
    path("audit/attempts/", api.HistoryList.as_view(), name="audit-history"),
    path("audit/attempts/export.csv", api.HistoryExport.as_view(), name="audit-history-export"),
    path("audit/evidence/", api.EvidenceCollection.as_view(), name="audit-evidence"),
]
