"""Four eyes on plans, settlements and escalations; legal and agency placement."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Role
from collections_app.models import PlanStatus, RepaymentPlan
from collections_app.services.plans import plan_create
from manager.models import (
    Agency,
    AgencyPlacement,
    EscalationRequest,
    LegalAction,
    LegalStage,
    RequestStatus,
)
from manager.services.escalation import (
    agency_place,
    agency_recall,
    escalation_approve,
    escalation_reject,
    escalation_request,
    legal_open,
    legal_step_record,
)
from tests.factories import UserFactory

from .conftest import NOW

pytestmark = pytest.mark.django_db


def settlement(case, actor):  # type: ignore[no-untyped-def]
    """Half the 4,200.00 balance forgiven: far beyond a collector's 10 % authority."""
    first = NOW.date() + timedelta(days=7)
    rows = [(first + timedelta(days=30 * i), Decimal("700.00")) for i in range(3)]
    return plan_create(
        case_id=case.pk,
        actor=actor,
        installments=rows,
        frequency="monthly",
        discount_amount=Decimal("2100.00"),
    )


def test_settlement_beyond_authority_waits_and_the_manager_approves_it(
    frozen, client, manager, collector, case
):
    plan = settlement(case, collector)
    assert plan.status == PlanStatus.PENDING_APPROVAL
    client.force_login(manager)
    page = client.get(reverse("manager:approvals")).content.decode()
    assert f'data-plan="{plan.pk}"' in page and "Settlement" in page
    response = client.post(
        reverse("manager:plan_decide", args=[plan.pk]),
        {"decision": "approve", "reason": "Hardship"},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    case.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and plan.approved_by == manager
    assert case.status == "payment_plan"


def test_rejecting_needs_a_reason_and_nothing_changes_without_one(
    frozen, client, manager, collector, case
):
    plan = settlement(case, collector)
    client.force_login(manager)
    client.post(
        reverse("manager:plan_decide", args=[plan.pk]), {"decision": "reject", "reason": ""}
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PENDING_APPROVAL
    client.post(
        reverse("manager:plan_decide", args=[plan.pk]),
        {"decision": "reject", "reason": "Too generous"},
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.REJECTED


def test_a_manager_cannot_approve_their_own_plan(frozen, client, manager, team, case):
    manager.max_discount_pct = Decimal("5")
    manager.save()
    plan = settlement(case, manager)
    assert plan.status == PlanStatus.PENDING_APPROVAL
    client.force_login(manager)
    response = client.post(
        reverse("manager:plan_decide", args=[plan.pk]),
        {"decision": "approve", "reason": ""},
        follow=True,
    )
    assert "You cannot approve your own request." in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PENDING_APPROVAL


def test_another_teams_plan_is_404(frozen, client, manager, other_collector, other_case):
    plan = settlement(other_case, other_collector)
    client.force_login(manager)
    assert f'data-plan="{plan.pk}"' not in client.get(reverse("manager:approvals")).content.decode()
    response = client.post(reverse("manager:plan_decide", args=[plan.pk]), {"decision": "approve"})
    assert response.status_code == 404
    assert RepaymentPlan.objects.get(pk=plan.pk).status == PlanStatus.PENDING_APPROVAL


def test_auditor_cannot_decide(frozen, client, auditor, collector, case):
    plan = settlement(case, collector)
    client.force_login(auditor)
    assert (
        client.post(
            reverse("manager:plan_decide", args=[plan.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )


def test_escalation_request_validates_and_refuses_duplicates(collector, case):
    with pytest.raises(ValidationError):
        escalation_request(case_id=case.pk, kind="prison", actor=collector, reason="x")
    with pytest.raises(ValidationError):
        escalation_request(case_id=case.pk, kind="legal", actor=collector, reason=" ")
    escalation_request(
        case_id=case.pk, kind="legal", actor=collector, reason="No response in 90 days"
    )
    with pytest.raises(ValidationError, match="already waiting"):
        escalation_request(case_id=case.pk, kind="legal", actor=collector, reason="again")
    assert EscalationRequest.objects.count() == 1


def test_collector_cannot_escalate_a_case_they_cannot_see(collector, other_case, auditor, case):
    with pytest.raises(PermissionDenied):
        escalation_request(case_id=other_case.pk, kind="legal", actor=collector, reason="x")
    with pytest.raises(PermissionDenied):
        escalation_request(case_id=case.pk, kind="legal", actor=auditor, reason="x")


def test_approving_a_legal_request_opens_the_action_and_moves_the_case(manager, collector, case):
    req = escalation_request(
        case_id=case.pk, kind="legal", actor=collector, reason="Ignored letters"
    )
    escalation_approve(request_id=req.pk, actor=manager, reason="Go")
    case.refresh_from_db()
    req.refresh_from_db()
    assert case.status == "legal" and req.status == RequestStatus.APPROVED
    action = LegalAction.objects.get(case=case)
    assert action.request == req and action.stage == LegalStage.DEMAND_LETTER


def test_a_manager_cannot_decide_their_own_escalation(manager, case):
    req = escalation_request(case_id=case.pk, kind="legal", actor=manager, reason="x")
    with pytest.raises(PermissionDenied):
        escalation_approve(request_id=req.pk, actor=manager)
    other = UserFactory(username="mona", role=Role.MANAGER, team=manager.team)
    escalation_reject(request_id=req.pk, actor=other, reason="Not yet")
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED and req.decided_by == other


def test_agency_request_needs_placement_details(manager, collector, case):
    agency = Agency.objects.create(name="Acme Recoveries")
    req = escalation_request(case_id=case.pk, kind="agency", actor=collector, reason="Skip traced")
    with pytest.raises(ValidationError):
        escalation_approve(request_id=req.pk, actor=manager)
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING  # the failed approval rolled back
    escalation_approve(
        request_id=req.pk,
        actor=manager,
        agency_id=agency.pk,
        placed_on=date(2026, 3, 18),
        recall_on=date(2026, 9, 18),
    )
    case.refresh_from_db()
    placement = AgencyPlacement.objects.get(case=case)
    assert case.status == "agency"
    assert placement.commission_pct == agency.default_commission_pct
    assert placement.placed_balance == Decimal("4200.00")


def test_placement_dates_and_recall(manager, case):
    agency = Agency.objects.create(name="Acme Recoveries")
    with pytest.raises(ValidationError):
        agency_place(
            case_id=case.pk,
            actor=manager,
            agency_id=agency.pk,
            placed_on=date(2026, 3, 18),
            recall_on=date(2026, 3, 1),
        )
    placement = agency_place(
        case_id=case.pk,
        actor=manager,
        agency_id=agency.pk,
        placed_on=date(2026, 3, 18),
        recall_on=date(2026, 9, 18),
        commission_pct=Decimal("25"),
    )
    with pytest.raises(ValidationError):
        agency_place(
            case_id=case.pk,
            actor=manager,
            agency_id=agency.pk,
            placed_on=date(2026, 3, 18),
            recall_on=date(2026, 9, 18),
        )
    agency_recall(
        placement_id=placement.pk,
        actor=manager,
        returned_amount=Decimal("300"),
        results="Paid part",
    )
    case.refresh_from_db()
    placement.refresh_from_db()
    assert case.status == "active" and placement.returned_amount == Decimal("300")


def test_legal_stages_move_forward_only(manager, case):
    action = legal_open(case_id=case.pk, actor=manager)
    legal_step_record(
        action_id=action.pk, actor=manager, stage="demand_letter", on_date=date(2026, 3, 1)
    )
    legal_step_record(action_id=action.pk, actor=manager, stage="filing", on_date=date(2026, 4, 1))
    with pytest.raises(ValidationError):
        legal_step_record(
            action_id=action.pk, actor=manager, stage="demand_letter", on_date=date(2026, 4, 2)
        )
    action.refresh_from_db()
    assert action.stage == "filing" and action.steps.count() == 2


def test_collector_cannot_place_or_open_legal(collector, case):
    agency = Agency.objects.create(name="Acme Recoveries")
    with pytest.raises(PermissionDenied):
        agency_place(
            case_id=case.pk,
            actor=collector,
            agency_id=agency.pk,
            placed_on=date(2026, 3, 18),
            recall_on=date(2026, 9, 18),
        )
    with pytest.raises(PermissionDenied):
        legal_open(case_id=case.pk, actor=collector)


def test_place_with_agency_page(client, manager, case):
    agency = Agency.objects.create(name="Acme Recoveries")
    client.force_login(manager)
    response = client.post(
        reverse("manager:agency_place", args=[case.pk]),
        {
            "agency": agency.pk,
            "placed_on": "2026-03-18",
            "recall_on": "2026-09-18",
            "commission_pct": "22.5",
        },
        follow=True,
    )
    assert "Case placed with Acme Recoveries." in response.content.decode()
    case.refresh_from_db()
    assert case.status == "agency"


def test_place_another_teams_case_is_404(client, manager, other_case):
    agency = Agency.objects.create(name="Acme Recoveries")
    client.force_login(manager)
    response = client.post(
        reverse("manager:agency_place", args=[other_case.pk]),
        {"agency": agency.pk, "placed_on": "2026-03-18", "recall_on": "2026-09-18"},
    )
    assert response.status_code == 404
    assert not AgencyPlacement.objects.exists()


def test_bad_placement_form_says_why_and_saves_nothing(client, manager, case):
    agency = Agency.objects.create(name="Acme Recoveries")
    client.force_login(manager)
    response = client.post(
        reverse("manager:agency_place", args=[case.pk]),
        {"agency": agency.pk, "placed_on": "2026-03-18", "recall_on": "2026-03-01"},
        follow=True,
    )
    assert "The recall date must be after the placement." in response.content.decode()
    assert not AgencyPlacement.objects.exists()


def test_a_placed_case_keeps_counting_in_the_compliance_ledger(frozen, manager, case):
    """The agency's calls arrive through the attempts import, and the gate counts them."""
    from compliance.services.outreach import attempts_import, outreach_reserve
    from tests.factories import ContactPointFactory

    agency = Agency.objects.create(name="Acme Recoveries")
    agency_place(
        case_id=case.pk,
        actor=manager,
        agency_id=agency.pk,
        placed_on=date(2026, 3, 18),
        recall_on=date(2026, 9, 18),
    )
    phone = ContactPointFactory(debtor=case.debtor, value="+15182530000")
    # A conversation the agency had yesterday (11:00 in New York) opens Reg F's quiet period.
    result = attempts_import(
        rows=[
            {
                "contact_point": phone.pk,
                "channel": "call",
                "outcome": "conversation",
                "occurred_at": "2026-03-17T15:00:00+00:00",
            }
        ],
        actor=None,
    )
    assert result.created == 1
    attempt = case.debtor.attempts.get()
    assert attempt.source == "import"
    decision = outreach_reserve(
        contact_point=phone, channel="call", actor=manager, dry_run=True
    ).decision
    assert not decision.allowed
    assert "POST_CONVERSATION_WAIT" in {r["code"] for r in decision.reasons}


def test_cases_past_their_strategys_escalation_mark_are_listed(
    frozen, client, manager, collector, team, other_team
):
    from collections_app.models import Payment
    from manager.models import Arm, CaseStrategy, Strategy
    from manager.selectors import escalations_due
    from tests.factories import CaseFactory

    legal = Strategy.objects.create(name="Sue early", escalate_after_days=30, escalate_to="legal")
    calls = Strategy.objects.create(
        name="Calls", challenger=legal, challenger_pct=50, escalate_after_days=None
    )
    frozen.move_to(NOW - timedelta(days=40))
    silent = CaseFactory(team=team, assigned_to=collector)
    paying = CaseFactory(team=team, assigned_to=collector)
    champion = CaseFactory(team=team, assigned_to=collector)
    theirs = CaseFactory(team=other_team)
    frozen.move_to(NOW - timedelta(days=10))
    fresh = CaseFactory(team=team, assigned_to=collector)
    frozen.move_to(NOW)
    for case, arm in (
        (silent, Arm.CHALLENGER),
        (paying, Arm.CHALLENGER),
        (champion, Arm.CHAMPION),
        (theirs, Arm.CHALLENGER),
        (fresh, Arm.CHALLENGER),
    ):
        CaseStrategy.objects.create(case=case, strategy=calls, arm=arm, assigned_at=NOW)
    Payment.objects.create(
        case=paying,
        debt=paying.debts.first(),
        amount=Decimal("5"),
        received_at=NOW - timedelta(days=3),
        external_reference="pay",
    )
    due = escalations_due(user=manager, now=NOW)
    assert [(c.pk, s.name) for c, s in due] == [(silent.pk, "Sue early")]
    client.force_login(manager)
    assert f'data-due="{silent.pk}"' in client.get(reverse("manager:approvals")).content.decode()
    escalation_request(case_id=silent.pk, kind="legal", actor=collector, reason="Due")
    assert escalations_due(user=manager, now=NOW) == []
