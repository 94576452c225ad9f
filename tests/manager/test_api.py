"""The manager API: roles, scope (404), auditors read-only (403), bad input (400)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app.models import PlanStatus
from collections_app.services.plans import plan_create
from manager.models import EscalationRequest
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def test_team_figures_for_managers_only(manager, collector, auditor, other_collector):
    response = api_as(manager).get("/api/v1/manager/team-figures/")
    assert response.status_code == 200
    assert [r["collector"] for r in response.json()["collectors"]] == ["alice"]
    assert api_as(collector).get("/api/v1/manager/team-figures/").status_code == 403
    assert api_as(auditor).get("/api/v1/manager/team-figures/").status_code == 403
    bad = api_as(manager).get("/api/v1/manager/team-figures/?start=2026-03-10&end=2026-03-01")
    assert bad.status_code == 400


def test_collector_requests_an_escalation(collector, case, other_case, auditor):
    api = api_as(collector)
    response = api.post(
        "/api/v1/escalation-requests/",
        {"case": case.pk, "kind": "agency", "reason": "Moved away"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert (
        api.post(
            "/api/v1/escalation-requests/",
            {"case": other_case.pk, "kind": "legal", "reason": "x"},
            format="json",
        ).status_code
        == 404
    )
    assert (
        api.post(
            "/api/v1/escalation-requests/",
            {"case": case.pk, "kind": "jail", "reason": "x"},
            format="json",
        ).status_code
        == 400
    )
    assert (
        api_as(auditor)
        .post(
            "/api/v1/escalation-requests/",
            {"case": case.pk, "kind": "legal", "reason": "x"},
            format="json",
        )
        .status_code
        == 403
    )
    assert EscalationRequest.objects.count() == 1


def test_reassign_through_the_api(manager, teammate, case, other_case, auditor):
    api = api_as(manager)
    body = {"cases": [case.pk], "to_user": teammate.pk, "reason": "Cover"}
    assert api.post("/api/v1/manager/cases/reassign/", body, format="json").json() == {
        "reassigned": 1
    }
    body = {"cases": [case.pk, other_case.pk], "to_user": teammate.pk, "reason": "Cover"}
    assert api.post("/api/v1/manager/cases/reassign/", body, format="json").status_code == 404
    assert (
        api_as(auditor).post("/api/v1/manager/cases/reassign/", body, format="json").status_code
        == 403
    )


def test_plan_decision_through_the_api(manager, collector, case):
    first = timezone.localdate() + timedelta(days=7)
    plan = plan_create(
        case_id=case.pk,
        actor=collector,
        frequency="monthly",
        installments=[(first + timedelta(days=30 * i), Decimal("700.00")) for i in range(3)],
        discount_amount=Decimal("2100.00"),
    )
    assert (
        api_as(collector)
        .post(f"/api/v1/manager/plans/{plan.pk}/decision/", {"decision": "approve"}, format="json")
        .status_code
        == 403
    )
    response = api_as(manager).post(
        f"/api/v1/manager/plans/{plan.pk}/decision/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == PlanStatus.ACTIVE
    # Decided: no longer pending, so not found in the queue.
    assert (
        api_as(manager)
        .post(
            f"/api/v1/manager/plans/{plan.pk}/decision/",
            {"decision": "reject", "reason": "x"},
            format="json",
        )
        .status_code
        == 404
    )
