"""An outside agency's results: attempts into the contact ledger, payments posted once."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from collections_app.models import ContactAttempt, Payment
from tests.factories import ContactPointFactory

from .conftest import dict_csv, run_import

pytestmark = [pytest.mark.django_db]
NOW = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def attempt(debt, ref: str, when: str, **extra: str) -> dict[str, str]:
    return {
        "record_type": "attempt",
        "agency": "Acme Recoveries",
        "creditor": debt.creditor,
        "account_number": debt.account_number,
        "external_reference": ref,
        "contact": "(518) 555-0101",
        "channel": "call",
        "direction": "outbound",
        "outcome": "no_answer",
        "occurred_at": when,
        **extra,
    }


def payment(debt, ref: str, amount: str = "25.00") -> dict[str, str]:
    return {
        "record_type": "payment",
        "agency": "Acme Recoveries",
        "creditor": debt.creditor,
        "account_number": debt.account_number,
        "external_reference": ref,
        "amount": amount,
        "received_at": "2026-03-09T15:00:00+00:00",
        "method": "card",
    }


@pytest.fixture
def phone(case):
    return ContactPointFactory(debtor=case.debtor, value="+15185550101")


def test_agency_payments_are_posted_once_with_their_source(case, manager):
    debt = case.debts.get()
    content = dict_csv([payment(debt, "P-1")])
    run_import(kind="agency", content=content, actor=manager)
    second = run_import(kind="agency", content=content, actor=manager)
    assert second.summary == {"payments_already_posted": 1}
    posted = Payment.objects.get()
    assert (posted.source, posted.external_reference, posted.amount) == (
        "agency",
        "Acme Recoveries:P-1",
        Decimal("25.00"),
    )
    debt.refresh_from_db()
    assert debt.balance == Decimal("4175.00")


def test_agency_attempts_go_into_the_ledger_as_imports_once(case, manager, phone):
    debt = case.debts.get()
    rows = [attempt(debt, f"A-{n}", f"2026-03-0{n}T15:00:00+00:00") for n in range(1, 4)]
    batch = run_import(kind="agency", content=dict_csv(rows), actor=manager)
    assert batch.status == "succeeded", list(batch.errors.values_list("message", flat=True))
    assert batch.summary["attempts_imported"] == 3
    stored = ContactAttempt.objects.filter(debtor=case.debtor)
    assert stored.count() == 3
    assert set(stored.values_list("source", flat=True)) == {"import"}
    assert all(a.decision_id for a in stored)
    again = run_import(kind="agency", content=dict_csv(rows), actor=manager)
    assert again.summary == {"attempts_already_imported": 3}
    assert stored.count() == 3


def test_an_attempt_that_broke_a_rule_is_kept_and_flagged(case, manager, phone):
    debt = case.debts.get()
    # Eight calls in seven days: the eighth breaks Regulation F's 7-in-7 presumption.
    rows = [
        attempt(debt, f"F-{day}-{hour}", f"2026-03-0{day}T{hour}:00:00+00:00")
        for day in range(1, 5)
        for hour in (14, 17)
    ]
    batch = run_import(kind="agency", content=dict_csv(rows), actor=manager)
    assert batch.summary["attempts_imported"] == 8
    assert batch.summary["attempts_flagged"] >= 1
    assert ContactAttempt.objects.filter(flagged=True).exists()


def test_an_unknown_contact_rejects_the_file_and_stores_nothing(case, manager, phone):
    debt = case.debts.get()
    rows = [
        attempt(debt, "A-1", "2026-03-01T15:00:00+00:00"),
        attempt(debt, "A-2", "2026-03-02T15:00:00+00:00", contact="+1 518 555 0199"),
        payment(debt, "P-1"),
    ]
    batch = run_import(kind="agency", content=dict_csv(rows), actor=manager)
    assert batch.status == "rejected"
    assert list(batch.errors.values_list("row_number", "column")) == [(3, "contact")]
    assert ContactAttempt.objects.count() == 0
    assert Payment.objects.count() == 0


def test_bad_rows_are_reported_by_column(case, manager):
    debt = case.debts.get()
    rows = [
        attempt(debt, "A-1", "yesterday", channel="pigeon"),
        {**payment(debt, "P-1"), "amount": "0"},
        {**payment(debt, "P-2"), "record_type": "gift"},
    ]
    batch = run_import(kind="agency", content=dict_csv(rows), actor=manager)
    assert sorted(batch.errors.values_list("row_number", "column")) == [
        (2, "channel"),
        (2, "occurred_at"),
        (3, "amount"),
        (4, "record_type"),
    ]
