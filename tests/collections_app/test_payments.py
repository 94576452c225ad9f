"""payment_record: posted once, applied to balance, installments and promises, closes what it
pays off, and refuses what it must."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from collections_app.models import (
    CaseStatusChange,
    Installment,
    Payment,
    PromiseToPay,
    RepaymentPlan,
)
from collections_app.services.payments import payment_record
from tests.factories import DebtFactory, PromiseFactory

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _pay(case, amount: str, actor=None, **kw) -> Payment:
    return payment_record(
        case_id=case.pk,
        debt_id=(kw.pop("debt", None) or case.debts.get()).pk,
        amount=Decimal(amount),
        received_at=kw.pop("received_at", NOW),
        actor=actor,
        **kw,
    )


def _plan(case, amounts: list[str]) -> RepaymentPlan:
    plan = RepaymentPlan.objects.create(
        case=case,
        status="active",
        total_amount=sum(Decimal(a) for a in amounts),
        start_date=date(2026, 3, 1),
    )
    for seq, amount in enumerate(amounts, start=1):
        Installment.objects.create(
            plan=plan, seq=seq, due_date=date(2026, seq + 1, 1), amount=Decimal(amount)
        )
    return plan


def test_a_payment_reduces_the_balance(case, collector):
    debt = case.debts.get()
    payment = _pay(case, "200.00", actor=collector, method="card")
    debt.refresh_from_db()
    assert debt.balance == Decimal("4000.00")
    assert (payment.amount, payment.recorded_by, payment.method) == (
        Decimal("200.00"),
        collector,
        "card",
    )


def test_the_same_reference_is_posted_once(case):
    first = _pay(case, "150.00", external_reference="CORE-1")
    second = _pay(case, "150.00", external_reference="CORE-1")
    assert first.pk == second.pk
    assert Payment.objects.count() == 1
    assert case.debts.get().balance == Decimal("4050.00")


def test_a_reference_reused_with_another_amount_is_refused(case):
    _pay(case, "150.00", external_reference="CORE-1")
    with pytest.raises(ValidationError):
        _pay(case, "99.00", external_reference="CORE-1")
    assert case.debts.get().balance == Decimal("4050.00")


def test_an_overpayment_is_refused_and_nothing_is_posted(case):
    with pytest.raises(ValidationError):
        _pay(case, "4200.01")
    assert Payment.objects.count() == 0
    assert case.debts.get().balance == Decimal("4200.00")


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.001"])
def test_a_bad_amount_is_refused(case, amount):
    with pytest.raises(ValidationError):
        _pay(case, amount)
    assert Payment.objects.count() == 0


def test_a_future_payment_is_refused(case):
    with pytest.raises(ValidationError):
        _pay(case, "10.00", received_at=datetime(2026, 3, 11, tzinfo=UTC))


def test_a_debt_of_another_case_is_refused(case, other_case):
    with pytest.raises(ValidationError):
        _pay(case, "10.00", debt=other_case.debts.get())
    assert Payment.objects.count() == 0


def test_the_auditor_and_another_team_cannot_record(case, auditor, other_collector):
    for person in (auditor, other_collector):
        with pytest.raises(PermissionDenied):
            _pay(case, "10.00", actor=person)
    assert Payment.objects.count() == 0


def test_the_oldest_installments_are_paid_first(case):
    plan = _plan(case, ["100.00", "100.00", "100.00"])
    payment = _pay(case, "150.00")
    first, second, third = plan.installments.order_by("seq")
    assert (first.status, first.paid_amount) == ("paid", Decimal("100.00"))
    assert (second.status, second.paid_amount) == ("partial", Decimal("50.00"))
    assert (third.status, third.paid_amount) == ("due", Decimal("0"))
    assert payment.installment == first


def test_the_named_installment_is_paid_first(case):
    plan = _plan(case, ["100.00", "100.00"])
    second = plan.installments.get(seq=2)
    _pay(case, "100.00", installment_id=second.pk)
    second.refresh_from_db()
    assert second.status == "paid"
    assert plan.installments.get(seq=1).status == "due"


def test_paying_every_installment_completes_the_plan(case):
    plan = _plan(case, ["100.00", "100.00"])
    _pay(case, "200.00")
    plan.refresh_from_db()
    assert plan.status == "completed"


def test_a_covered_promise_is_kept_and_a_partial_one_stays_pending(case):
    small = PromiseFactory(case=case, amount=Decimal("100.00"), due_date=date(2026, 3, 12))
    big = PromiseFactory(case=case, amount=Decimal("500.00"), due_date=date(2026, 3, 20))
    _pay(case, "300.00")
    small.refresh_from_db()
    big.refresh_from_db()
    assert (small.status, small.paid_amount, small.resolved_at) == ("kept", Decimal("100"), NOW)
    assert (big.status, big.paid_amount) == ("pending", Decimal("200.00"))


def test_a_promise_for_another_debt_is_not_touched(case):
    other_debt = DebtFactory(debtor=case.debtor)
    case.debts.add(other_debt)
    promise = PromiseFactory(case=case, debt=other_debt, amount=Decimal("50.00"))
    _pay(case, "50.00", debt=case.debts.exclude(pk=other_debt.pk).get())
    promise.refresh_from_db()
    assert promise.status == "pending"
    assert PromiseToPay.objects.filter(status="kept").count() == 0


def test_paying_the_last_debt_in_full_marks_debt_and_case_paid(case, collector):
    _pay(case, "4200.00", actor=collector)
    debt = case.debts.get()
    case.refresh_from_db()
    assert (debt.balance, debt.status) == (Decimal("0.00"), "paid")
    assert case.status == "paid"
    change = CaseStatusChange.objects.get(case=case)
    assert (change.from_status, change.to_status, change.actor) == ("active", "paid", collector)


def test_the_case_stays_open_while_another_debt_is_owed(case):
    case.debts.add(DebtFactory(debtor=case.debtor))
    first = case.debts.order_by("id").first()
    _pay(case, "4200.00", debt=first)
    case.refresh_from_db()
    assert case.status == "active"


def test_a_paid_debt_takes_no_more_payments(case):
    _pay(case, "4200.00")
    with pytest.raises(ValidationError):
        _pay(case, "1.00")


def test_reminders_are_synced_after_a_payment(case, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "collections_app.services.payments.reminders_sync",
        lambda *, case_id: calls.append(case_id),
    )
    _pay(case, "10.00")
    assert calls == [case.pk]
