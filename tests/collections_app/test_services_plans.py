"""Repayment plans: the proposal from capacity, authority limits, four-eyes approval."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from collections_app.models import CaseStatus, PlanStatus
from collections_app.services.plans import (
    plan_approve,
    plan_create,
    plan_propose,
    plan_reject,
)
from tests.factories import CaseFactory, DebtFactory

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOON, tick=False):
        yield


def _case(team, collector, *, income, expenses, balance):
    return CaseFactory(
        team=team,
        assigned_to=collector,
        debtor__monthly_income=income,
        debtor__monthly_expenses=expenses,
        debts=[DebtFactory(balance=Decimal(balance))],
    )


def test_proposal_asks_half_the_disposable_income(team, collector):
    case = _case(team, collector, income=Decimal(3000), expenses=Decimal(2000), balance="2300")
    proposal = plan_propose(case_id=case.pk, start_date=date(2026, 4, 1))
    assert proposal.disposable_income == Decimal(1000)
    assert proposal.installment_amount == Decimal("500.00")
    assert [a for _d, a in proposal.installments] == [Decimal("500.00")] * 4 + [Decimal("300.00")]
    assert [d for d, _a in proposal.installments][:3] == [
        date(2026, 4, 1),
        date(2026, 5, 1),
        date(2026, 6, 1),
    ]
    assert sum(a for _d, a in proposal.installments) == Decimal("2300")


def test_weekly_proposal_scales_the_amount(team, collector):
    case = _case(team, collector, income=Decimal(3000), expenses=Decimal(2000), balance="1000")
    proposal = plan_propose(case_id=case.pk, start_date=date(2026, 4, 1), frequency="weekly")
    # 500 a month over 52/12 weeks a month.
    assert proposal.installment_amount == Decimal("115.38")
    assert proposal.installments[1][0] == date(2026, 4, 8)


def test_no_capacity_spreads_over_the_cap_with_a_warning(team, collector):
    case = _case(team, collector, income=Decimal(1000), expenses=Decimal(1500), balance="6000")
    proposal = plan_propose(case_id=case.pk, start_date=date(2026, 4, 1))
    assert proposal.count == 60
    assert proposal.installment_amount == Decimal("100.00")
    assert proposal.warnings


def test_small_capacity_is_capped_at_sixty_installments(team, collector):
    case = _case(team, collector, income=Decimal(1020), expenses=Decimal(1000), balance="6000")
    proposal = plan_propose(case_id=case.pk, start_date=date(2026, 4, 1))
    assert proposal.capped
    assert proposal.count == 60
    assert sum(a for _d, a in proposal.installments) == Decimal("6000")


def _rows(*amounts, start=date(2026, 4, 1)):
    from collections_app.services.plans import plan_due_dates

    dates = plan_due_dates(start_date=start, frequency="monthly", count=len(amounts))
    return list(zip(dates, [Decimal(a) for a in amounts], strict=True))


def test_plan_longer_than_the_collectors_limit_needs_approval(team, collector):
    collector.max_plan_months = 3
    collector.save()
    case = _case(team, collector, income=None, expenses=None, balance="400")
    plan = plan_create(
        case_id=case.pk,
        actor=collector,
        installments=_rows(100, 100, 100, 100),
        frequency="monthly",
    )
    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert plan.approved_by is None
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert "awaits a manager" in case.notes.get().body


def test_active_plan_replaces_the_earlier_one(team, collector):
    case = _case(team, collector, income=None, expenses=None, balance="400")
    first = plan_create(
        case_id=case.pk, actor=collector, installments=_rows(200, 200), frequency="monthly"
    )
    second = plan_create(
        case_id=case.pk, actor=collector, installments=_rows(400), frequency="monthly"
    )
    first.refresh_from_db()
    assert (first.status, second.status) == (PlanStatus.CANCELLED, PlanStatus.ACTIVE)


@pytest.mark.parametrize(
    ("rows", "discount", "field"),
    [
        ([], "0", "installments"),
        ([("2026-04-01", "400"), ("2026-04-01", "0.00")], "0", "installments"),
        ([("2026-03-01", "400")], "0", "installments"),
        ([("2026-04-01", "300")], "0", "installments"),
        ([("2026-04-01", "400")], "-1", "discount_amount"),
        ([("2026-04-01", "1")], "399", "__all__"),
    ],
)
def test_bad_plans_are_refused_and_nothing_is_saved(team, collector, rows, discount, field):
    case = _case(team, collector, income=None, expenses=None, balance="400")
    if field == "__all__":  # a disputed case cannot take a plan
        case.status = CaseStatus.DISPUTED
        case.save()
    parsed = [(date.fromisoformat(d), Decimal(a)) for d, a in rows]
    with pytest.raises(ValidationError) as exc:
        plan_create(
            case_id=case.pk,
            actor=collector,
            installments=parsed,
            frequency="monthly",
            discount_amount=Decimal(discount),
        )
    assert field in exc.value.message_dict
    assert case.plans.count() == 0


@pytest.fixture
def pending(team, collector, manager):
    collector.max_discount_pct = Decimal("5")
    collector.save()
    case = _case(team, collector, income=None, expenses=None, balance="1000")
    return plan_create(
        case_id=case.pk,
        actor=collector,
        installments=_rows(450, 450),
        frequency="monthly",
        discount_amount=Decimal("100"),
    )


def test_manager_of_the_team_approves(pending, manager):
    plan = plan_approve(plan_id=pending.pk, actor=manager, reason="Hardship documented")
    assert (plan.status, plan.approved_by) == (PlanStatus.ACTIVE, manager)
    plan.case.refresh_from_db()
    assert plan.case.status == CaseStatus.PAYMENT_PLAN
    assert plan.history.first().history_change_reason == "Hardship documented"


def test_second_decision_on_the_same_plan_is_refused(pending, manager):
    plan_approve(plan_id=pending.pk, actor=manager)
    with pytest.raises(ValidationError):
        plan_reject(plan_id=pending.pk, actor=manager, reason="Too late")


@pytest.mark.parametrize("who", ["other_manager", "collector", "teammate", "auditor"])
def test_only_the_teams_manager_decides(pending, who, request):
    with pytest.raises(PermissionDenied):
        plan_approve(plan_id=pending.pk, actor=request.getfixturevalue(who))
    pending.refresh_from_db()
    assert pending.status == PlanStatus.PENDING_APPROVAL


def test_a_manager_cannot_approve_their_own_plan(team, manager):
    manager.max_plan_months = 1
    manager.save()
    case = _case(team, manager, income=None, expenses=None, balance="400")
    plan = plan_create(
        case_id=case.pk, actor=manager, installments=_rows(200, 200), frequency="monthly"
    )
    assert plan.status == PlanStatus.PENDING_APPROVAL
    with pytest.raises(PermissionDenied):
        plan_approve(plan_id=plan.pk, actor=manager)


def test_rejection_needs_a_reason_and_leaves_the_case(pending, manager):
    with pytest.raises(ValidationError):
        plan_reject(plan_id=pending.pk, actor=manager, reason=" ")
    plan = plan_reject(plan_id=pending.pk, actor=manager, reason="Discount too deep")
    assert plan.status == PlanStatus.REJECTED
    plan.case.refresh_from_db()
    assert plan.case.status == CaseStatus.ACTIVE
    assert "Discount too deep" in plan.case.notes.first().body


def test_collector_can_ask_for_a_number_of_installments_and_a_discount(team, collector):
    case = _case(team, collector, income=Decimal(3000), expenses=Decimal(2000), balance="2300")
    proposal = plan_propose(
        case_id=case.pk,
        start_date=date(2026, 4, 1),
        installment_count=2,
        discount_amount=Decimal("100"),
    )
    assert [a for _d, a in proposal.installments] == [Decimal("1100.00")] * 2
    assert any("above the affordable" in w for w in proposal.warnings)
    plan = plan_create(
        case_id=case.pk,
        actor=collector,
        installments=proposal.installments,
        frequency="monthly",
        discount_amount=Decimal("100"),
    )
    assert plan.status == PlanStatus.ACTIVE  # 100 of 2300 is 4.35%, within 10%


def test_proposal_refuses_a_discount_as_large_as_the_balance(team, collector):
    case = _case(team, collector, income=None, expenses=None, balance="500")
    with pytest.raises(ValidationError):
        plan_propose(case_id=case.pk, start_date=date(2026, 4, 1), discount_amount=Decimal(500))


def test_active_plan_absorbs_pending_promises(team, collector):
    from collections_app.models import PromiseStatus
    from collections_app.services.promises import promise_create

    case = _case(team, collector, income=None, expenses=None, balance="400")
    promise = promise_create(
        case_id=case.pk, actor=collector, amount=Decimal("50"), due_date=date(2026, 3, 20)
    )
    plan_create(case_id=case.pk, actor=collector, installments=_rows(400), frequency="monthly")
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.CANCELLED
