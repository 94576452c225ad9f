"""Every manager page and form answers its role and scope; the forms save through services."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from manager.models import Agency, AgencyPlacement, EscalationRequest, LegalAction, LegalStep
from manager.services.escalation import agency_place, escalation_request

pytestmark = pytest.mark.django_db


def test_legal_action_from_open_to_filing_with_a_document(
    client, manager, case, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(manager)
    client.post(reverse("manager:legal_open", args=[case.pk]), {"court": "Albany County Court"})
    action = LegalAction.objects.get(case=case)
    case.refresh_from_db()
    assert case.status == "legal" and action.court == "Albany County Court"
    response = client.post(
        reverse("manager:legal_step", args=[action.pk]),
        {
            "stage": "filing",
            "on_date": "2026-04-01",
            "document": SimpleUploadedFile("complaint.pdf", b"%PDF-1.4 filing", "application/pdf"),
            "notes": "Filed",
        },
        follow=True,
    )
    assert "Stage recorded." in response.content.decode()
    step = LegalStep.objects.get(action=action)
    assert step.stage == "filing" and step.document.read() == b"%PDF-1.4 filing"
    page = client.get(reverse("manager:case_escalation", args=[case.pk])).content.decode()
    assert "Filing" in page and "Albany County Court" in page


def test_bad_legal_step_is_refused_with_a_message(client, manager, case):
    client.force_login(manager)
    client.post(reverse("manager:legal_open", args=[case.pk]), {})
    action = LegalAction.objects.get(case=case)
    response = client.post(
        reverse("manager:legal_step", args=[action.pk]),
        {"stage": "verdict", "on_date": "x"},
        follow=True,
    )
    assert response.status_code == 200 and not LegalStep.objects.exists()


def test_recall_from_the_agency_page(client, manager, case):
    agency = Agency.objects.create(name="Acme Recoveries")
    placement = agency_place(
        case_id=case.pk,
        actor=manager,
        agency_id=agency.pk,
        placed_on=date(2026, 3, 1),
        recall_on=date(2026, 9, 1),
    )
    client.force_login(manager)
    response = client.post(
        reverse("manager:agency_recall", args=[placement.pk]),
        {"returned_amount": "250.00", "results": "Two payments"},
        follow=True,
    )
    assert "Case recalled from the agency." in response.content.decode()
    placement.refresh_from_db()
    assert placement.returned_amount == Decimal("250.00") and placement.recalled_at
    listing = client.get(reverse("manager:escalations")).content.decode()
    assert "Acme Recoveries" in listing and "250.00" in listing


def test_other_teams_legal_and_placements_are_404(client, manager, other_manager, other_case):
    agency = Agency.objects.create(name="Acme Recoveries")
    placement = agency_place(
        case_id=other_case.pk,
        actor=other_manager,
        agency_id=agency.pk,
        placed_on=date(2026, 3, 1),
        recall_on=date(2026, 9, 1),
    )
    client.force_login(manager)
    assert (
        client.post(
            reverse("manager:agency_recall", args=[placement.pk]), {"returned_amount": "1"}
        ).status_code
        == 404
    )
    assert client.post(reverse("manager:legal_open", args=[other_case.pk]), {}).status_code == 404
    assert "Acme" not in client.get(reverse("manager:escalations")).content.decode()
    assert AgencyPlacement.objects.get().recalled_at is None


def test_escalation_rejected_from_the_queue(
    client, manager, collector, case, other_collector, other_case
):
    req = escalation_request(case_id=case.pk, kind="legal", actor=collector, reason="Silent")
    theirs = escalation_request(
        case_id=other_case.pk, kind="legal", actor=other_collector, reason="x"
    )
    client.force_login(manager)
    page = client.get(reverse("manager:approvals")).content.decode()
    assert f'data-escalation="{req.pk}"' in page and f'data-escalation="{theirs.pk}"' not in page
    url = reverse("manager:escalation_decide", args=[req.pk])
    client.post(url, {"decision": "reject", "reason": ""})
    assert EscalationRequest.objects.get(pk=req.pk).status == "pending"
    client.post(url, {"decision": "reject", "reason": "Try a plan first"})
    assert EscalationRequest.objects.get(pk=req.pk).status == "rejected"
    other_url = reverse("manager:escalation_decide", args=[theirs.pk])
    assert client.post(other_url, {"decision": "approve"}).status_code == 404


def test_admin_narrows_the_dashboard_to_one_team(
    client, admin_user, collector, other_collector, other_team
):
    client.force_login(admin_user)
    body = client.get(reverse("manager:dashboard"), {"team": other_team.pk}).content.decode()
    assert 'data-collector="lina"' in body and 'data-collector="alice"' not in body


def test_case_list_filters_and_search(client, manager, case, team):
    from tests.factories import CaseFactory, DebtorFactory

    CaseFactory(team=team, debtor=DebtorFactory(full_name="Zed Quarry"))
    client.force_login(manager)
    body = client.get(reverse("manager:cases"), {"q": "Quarry"}).content.decode()
    assert "Zed Quarry" in body and f'data-case="{case.pk}"' not in body
    body = client.get(reverse("manager:cases"), {"collector": "none"}).content.decode()
    assert "Zed Quarry" in body and f'data-case="{case.pk}"' not in body


def test_drill_down_names_the_figure_in_words(client, manager):
    client.force_login(manager)
    body = client.get(reverse("manager:cases"), {"metric": "flagged"}).content.decode()
    assert 'Cases behind the figure "Flagged attempts"' in body
