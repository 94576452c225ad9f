from django.urls import path
from rest_framework.routers import SimpleRouter

from compliance.api import (
    CaseFilterViewSet,
    ComplianceCheckView,
    DebtorConsentsView,
    DebtorRestrictionsView,
    EligibilityView,
)

router = SimpleRouter()
router.register("case-filters", CaseFilterViewSet, basename="api-case-filter")

urlpatterns = [
    path(
        "debtors/<int:debtor_id>/restrictions/",
        DebtorRestrictionsView.as_view(),
        name="api-debtor-restrictions",
    ),
    path(
        "debtors/<int:debtor_id>/consents/",
        DebtorConsentsView.as_view(),
        name="api-debtor-consents",
    ),
    path("compliance/check/", ComplianceCheckView.as_view(), name="api-compliance-check"),
    path("compliance/eligibility/", EligibilityView.as_view(), name="api-compliance-eligibility"),
    *router.urls,
]
