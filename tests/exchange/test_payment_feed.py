"""The core system's payment feed and the reconciliation queue."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from collections_app.models import Payment
from exchange.models import ReconciliationException
from exchange.services.exceptions import exception_resolve
from tests.factories import PromiseFactory

from .conftest import dict_csv, run_import

pytestmark = [pytest.mark.django_db]
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def row(debt, ref: str, amount: str = "100.00", **extra: str) -> dict[str, str]:
    return {
        "creditor": debt.creditor,
        "account_number": debt.account_number,
        "external_reference": ref,
        "amount": amount,
        "received_at": "2026-03-09T10:00:00Z",
        "method": "bank_transfer",
        **extra,
    }


def test_a_feed_applied_twice_posts_each_payment_once(case, manager):
    debt = case.debts.get()
    content = dict_csv([row(debt, "CORE-1"), row(debt, "CORE-2", "50.00")])
    first = run_import(kind="payments", content=content, actor=manager)
    assert first.status == "succeeded"
    assert first.summary["payments_posted"] == 2
    second = run_import(kind="payments", content=content, actor=manager)
    assert second.status == "succeeded"
    assert second.summary == {"payments_already_posted": 2}
    debt.refresh_from_db()
    assert debt.balance == Decimal("4050.00")
    assert Payment.objects.count() == 2
    assert set(Payment.objects.values_list("source", flat=True)) == {"feed"}


def test_a_payment_in_the_feed_keeps_the_promise_it_covers(case, manager):
    promise = PromiseFactory(case=case, amount=Decimal("100.00"), due_date=date(2026, 3, 9))
    run_import(kind="payments", content=dict_csv([row(case.debts.get(), "R1")]), actor=manager)
    promise.refresh_from_db()
    assert promise.status == "kept"


def test_a_bad_row_rejects_the_whole_feed(case, other_case, manager):
    debt = case.debts.get()
    rows = [
        row(debt, "OK-1"),
        row(debt, "", "10.00"),
        row(debt, "BIG", "99999.00"),
        row(other_case.debts.get(), "THEIRS"),
    ]
    batch = run_import(kind="payments", content=dict_csv(rows), actor=manager)
    assert batch.status == "rejected"
    assert sorted(batch.errors.values_list("row_number", "column")) == [(3, "external_reference")]
    assert Payment.objects.count() == 0
    batch = run_import(
        kind="payments", content=dict_csv([rows[0], rows[2], rows[3]]), actor=manager
    )
    assert batch.status == "rejected"
    assert sorted(batch.errors.values_list("row_number", "column")) == [
        (3, "amount"),
        (4, "account_number"),
    ]
    assert Payment.objects.count() == 0
    debt.refresh_from_db()
    assert debt.balance == Decimal("4200.00")


def test_valid_rows_only_posts_the_good_payments(case, manager):
    debt = case.debts.get()
    rows = [row(debt, "OK-1"), row(debt, "BIG", "99999.00")]
    batch = run_import(kind="payments", content=dict_csv(rows), actor=manager, valid_only=True)
    assert batch.status == "partial"
    assert list(Payment.objects.values_list("external_reference", flat=True)) == ["OK-1"]


def test_a_balance_that_differs_opens_one_exception(case, manager):
    debt = case.debts.get()
    content = dict_csv([row(debt, "P1", balance="4000.00")])
    batch = run_import(kind="payments", content=content, actor=manager)
    assert batch.summary["exceptions_opened"] == 1
    exception = ReconciliationException.objects.get()
    assert (exception.feed_balance, exception.system_balance) == (
        Decimal("4000.00"),
        Decimal("4100.00"),
    )
    assert exception.difference == Decimal("-100.00")
    run_import(kind="payments", content=content, actor=manager)
    assert ReconciliationException.objects.count() == 1


def test_a_matching_balance_opens_nothing(case, manager):
    debt = case.debts.get()
    content = dict_csv([{**row(debt, "", ""), "balance": "4200.00", "received_at": ""}])
    batch = run_import(kind="payments", content=content, actor=manager)
    assert batch.status == "succeeded", list(batch.errors.values_list("message", flat=True))
    assert batch.summary["balances_checked"] == 1
    assert ReconciliationException.objects.count() == 0


def test_an_exception_is_resolved_with_a_note_by_a_manager_only(case, manager, auditor):
    run_import(
        kind="payments",
        content=dict_csv([row(case.debts.get(), "P1", balance="1.00")]),
        actor=manager,
    )
    exception = ReconciliationException.objects.get()
    with pytest.raises(PermissionDenied):
        exception_resolve(
            exception_id=exception.pk, actor=auditor, resolution="explained", note="x"
        )
    exception_resolve(
        exception_id=exception.pk, actor=manager, resolution="explained", note="Posted late"
    )
    exception.refresh_from_db()
    assert (exception.status, exception.resolved_by, exception.resolved_at) == (
        "resolved",
        manager,
        NOW,
    )
