"""Recall / close file."""

import pytest

from collections_app.models import CaseStatusChange
from tests.factories import DebtFactory, PromiseFactory

from .conftest import dict_csv, run_import

pytestmark = [pytest.mark.django_db]


def recall(debt, reason: str = "Sold to another agency") -> dict[str, str]:
    return {"creditor": debt.creditor, "account_number": debt.account_number, "reason": reason}


def test_a_recalled_account_closes_the_debt_and_its_case(case, manager):
    promise = PromiseFactory(case=case)
    batch = run_import(kind="recalls", content=dict_csv([recall(case.debts.get())]), actor=manager)
    assert batch.status == "succeeded"
    assert batch.summary == {"debts_recalled": 1, "cases_closed": 1}
    debt = case.debts.get()
    case.refresh_from_db()
    promise.refresh_from_db()
    assert (debt.status, case.status, promise.status) == ("recalled", "closed", "cancelled")
    change = CaseStatusChange.objects.get(case=case)
    assert change.reason == "Recalled by creditor: Sold to another agency"
    assert change.actor == manager
    assert debt.history.first().history_change_reason == change.reason


def test_a_case_with_another_open_debt_stays_open(case, manager):
    case.debts.add(DebtFactory(debtor=case.debtor))
    first = case.debts.order_by("id").first()
    run_import(kind="recalls", content=dict_csv([recall(first)]), actor=manager)
    case.refresh_from_db()
    assert case.status == "active"


def test_recalling_twice_changes_nothing_more(case, manager):
    content = dict_csv([recall(case.debts.get())])
    run_import(kind="recalls", content=content, actor=manager)
    batch = run_import(kind="recalls", content=content, actor=manager)
    assert batch.summary == {"debts_already_closed": 1}
    assert CaseStatusChange.objects.count() == 1


def test_an_unknown_or_other_team_account_rejects_the_file(case, other_case, manager):
    rows = [
        recall(case.debts.get()),
        recall(other_case.debts.get()),
        {"creditor": "Nobody", "account_number": "X", "reason": "r"},
    ]
    batch = run_import(kind="recalls", content=dict_csv(rows), actor=manager)
    assert batch.status == "rejected"
    assert list(batch.errors.values_list("row_number", flat=True)) == [3, 4]
    assert case.debts.get().status == "open"


def test_a_recall_without_reason_is_refused(case, manager):
    batch = run_import(
        kind="recalls", content=dict_csv([recall(case.debts.get(), reason="")]), actor=manager
    )
    assert list(batch.errors.values_list("column", flat=True)) == ["reason"]


def test_a_promise_on_the_recalled_account_is_cancelled_while_the_case_stays_open(case, manager):
    case.debts.add(DebtFactory(debtor=case.debtor))
    first = case.debts.order_by("id").first()
    on_recalled = PromiseFactory(case=case, debt=first)
    on_case = PromiseFactory(case=case)
    run_import(kind="recalls", content=dict_csv([recall(first)]), actor=manager)
    on_recalled.refresh_from_db()
    on_case.refresh_from_db()
    assert (on_recalled.status, on_case.status) == ("cancelled", "pending")
