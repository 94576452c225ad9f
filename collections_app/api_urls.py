from django.urls import path
from rest_framework.routers import SimpleRouter

from collections_app.api.views import (
    CaseViewSet,
    ContactAttemptImportView,
    ContactAttemptViewSet,
    DebtorContactPointsView,
    DebtorViewSet,
    DebtViewSet,
)

router = SimpleRouter()
router.register("debtors", DebtorViewSet, basename="api-debtor")
router.register("debts", DebtViewSet, basename="api-debt")
router.register("cases", CaseViewSet, basename="api-case")
router.register("contact-attempts", ContactAttemptViewSet, basename="api-attempt")

urlpatterns = [
    # Before the router, so "import" is not read as an attempt id.
    path(
        "contact-attempts/import/",
        ContactAttemptImportView.as_view(),
        name="api-attempt-import",
    ),
    path(
        "debtors/<int:debtor_id>/contact-points/",
        DebtorContactPointsView.as_view(),
        name="api-debtor-contact-points",
    ),
    *router.urls,
]
