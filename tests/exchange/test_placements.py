"""Placement import: every row checked, all-or-nothing by default, idempotent upserts."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import Case, ContactPoint, Debt, Debtor
from exchange.models import ImportBatch
from exchange.services import batches
from exchange.services.placements import PLACEMENTS
from exchange.services.samples import placement_rows_generate, rows_to_csv

from .conftest import dict_csv, run_import

pytestmark = [pytest.mark.django_db]


def good(**overrides: str) -> dict[str, str]:
    row = {
        "creditor": "First Example Bank",
        "account_number": "ACC-1",
        "customer_id": "CUST-1",
        "full_name": "Jane Roe",
        "country": "US",
        "region": "NY",
        "mobile": "(212) 736-1234",
        "email": "Jane.Roe@Example.com",
        "product": "credit_card",
        "currency": "USD",
        "principal": "5000.00",
        "balance": "4200.50",
        "days_past_due": "45",
        "date_of_birth": "1980-05-17",
    }
    row.update(overrides)
    return row


def world() -> tuple[int, int, int, int, int, int]:
    return (
        Debtor.objects.count(),
        Debt.objects.count(),
        Case.objects.count(),
        ContactPoint.objects.count(),
        Debt.history.count(),
        Debtor.history.count(),
    )


def test_a_valid_file_creates_debtors_contact_points_debts_and_cases(manager, team):
    content = dict_csv(
        [
            good(),
            good(account_number="ACC-2", product="personal_loan", balance="100.00"),
            good(
                account_number="CN-1",
                customer_id="CUST-2",
                full_name="王伟",
                country="CN",
                region="GD",
                mobile="+86 138 0013 8000",
                email="",
                currency="CNY",
            ),
        ]
    )
    batch = run_import(kind="placements", content=content, actor=manager, team=team)
    assert batch.status == "succeeded", batch.message
    assert (batch.total_rows, batch.processed_rows, batch.error_count) == (3, 3, 0)
    assert batch.summary["debts_created"] == 3
    jane = Debtor.objects.get(full_name="Jane Roe")
    assert sorted(jane.debts.values_list("account_number", flat=True)) == ["ACC-1", "ACC-2"]
    case = Case.objects.get(debtor=jane)
    assert (case.team, case.status, case.debts.count()) == (team, "new", 2)
    mobile = jane.contact_points.get(kind="mobile")
    assert mobile.value == "+12127361234"
    assert {"zone": "America/New_York", "source": "phone_area_code"} in mobile.timezones
    assert jane.contact_points.get(kind="email").value == "jane.roe@example.com"
    debt = Debt.objects.get(account_number="ACC-1")
    assert (debt.balance, debt.bucket) == (Decimal("4200.50"), "M2")
    assert Debtor.objects.get(full_name="王伟").cases.get().debts.get().currency == "CNY"


def test_broken_rows_give_exactly_their_errors_and_nothing_changes(manager, team):
    rows = [
        good(),
        good(account_number="ACC-2", mobile="555-12", email="not-an-email"),
        good(account_number="ACC-3", balance="12,50", country="XX"),
        good(account_number="ACC-4", region="ZZ", date_of_birth="17/05/1980", product="car"),
        good(account_number=""),
        good(account_number="ACC-1"),
    ]
    before = world()
    batch = run_import(kind="placements", content=dict_csv(rows), actor=manager, team=team)
    assert batch.status == "rejected"
    found = sorted((e.row_number, e.column) for e in batch.errors.all())
    assert found == [
        (3, "email"),
        (3, "mobile"),
        (4, "balance"),
        (4, "country"),
        (5, "date_of_birth"),
        (5, "product"),
        (5, "region"),
        (6, "account_number"),
        (7, "account_number"),
    ]
    assert batch.error_count == 5
    assert "Duplicate of row 2" in batch.errors.get(row_number=7).message
    assert world() == before


def test_valid_rows_only_imports_the_good_rows_and_reports_the_bad(manager, team):
    rows = [good(), good(account_number="ACC-2", balance="-1"), good(account_number="ACC-3")]
    batch = run_import(
        kind="placements", content=dict_csv(rows), actor=manager, team=team, valid_only=True
    )
    assert batch.status == "partial"
    assert list(batch.errors.values_list("row_number", "column")) == [(3, "balance")]
    assert sorted(Debt.objects.values_list("account_number", flat=True)) == ["ACC-1", "ACC-3"]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(manager, team):
    content = rows_to_csv(placement_rows_generate(rows=60))
    first = run_import(kind="placements", content=content, actor=manager, team=team)
    assert first.status == "succeeded"
    after_first = world()
    second = run_import(kind="placements", content=content, actor=manager, team=team)
    assert second.status == "succeeded"
    assert world() == after_first
    assert second.summary["debts_created"] == 0
    assert second.summary["debts_updated"] == 0
    assert second.summary["rows_unchanged"] == 60


def test_a_new_balance_updates_the_debt_with_history(manager, team):
    run_import(kind="placements", content=dict_csv([good()]), actor=manager, team=team)
    debt = Debt.objects.get()
    batch = run_import(
        kind="placements", content=dict_csv([good(balance="4000.00")]), actor=manager, team=team
    )
    debt.refresh_from_db()
    assert debt.balance == Decimal("4000.00")
    assert batch.summary["debts_updated"] == 1
    assert debt.history.count() == 2
    assert Case.objects.count() == 1


def test_a_later_file_finds_the_customer_again(manager, team):
    run_import(kind="placements", content=dict_csv([good()]), actor=manager, team=team)
    run_import(
        kind="placements",
        content=dict_csv([good(account_number="ACC-9")]),
        actor=manager,
        team=team,
    )
    assert Debtor.objects.count() == 1
    assert Case.objects.get().debts.count() == 2


def test_a_killed_job_leaves_the_database_as_before(manager, team, monkeypatch):
    run_import(kind="placements", content=dict_csv([good()]), actor=manager, team=team)
    before = world()
    calls = {"n": 0}

    def dying_apply(batch, rows, state):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return PLACEMENTS.apply(batch, rows, state)

    from dataclasses import replace

    monkeypatch.setattr(
        batches,
        "importer_for",
        lambda kind: replace(PLACEMENTS, apply=dying_apply, chunk_size=10),
    )
    content = rows_to_csv(placement_rows_generate(rows=50, seed=3, creditor="Other Bank"))
    batch = run_import(kind="placements", content=content, actor=manager, team=team)
    assert calls["n"] == 3
    assert batch.status == "failed"
    assert "nothing was imported" in batch.message
    assert world() == before


def test_a_file_without_required_columns_is_rejected(manager, team):
    batch = run_import(
        kind="placements", content=b"creditor,account_number\nX,1\n", actor=manager, team=team
    )
    assert batch.status == "rejected"
    error = batch.errors.get()
    assert error.row_number == 1
    assert "full_name" in error.message


def test_a_file_that_is_not_utf8_is_refused_at_upload_and_nothing_stored(manager, team):
    content = dict_csv([good(full_name="Zoë")]).decode().encode("latin-1")
    with pytest.raises(ValidationError) as exc:
        run_import(kind="placements", content=content, actor=manager, team=team)
    assert "UTF-8" in str(exc.value.message_dict["file"])
    assert not ImportBatch.objects.exists()


def test_a_file_that_goes_wrong_past_its_first_bytes_is_rejected_by_the_job(manager, team):
    rows = [good(account_number=f"ACC-{i:05d}") for i in range(60)]
    rows.append(good(account_number="ACC-LAST", full_name="Zoë"))
    content = dict_csv(rows)
    content = content[:-200] + content[-200:].decode().encode("latin-1")
    batch = run_import(kind="placements", content=content, actor=manager, team=team)
    assert batch.status == "rejected"
    assert "UTF-8" in batch.errors.get().message


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("p.xlsx", b"full_name,creditor\nA,B\n", "does not match"),
        ("p.csv", b"MZ\x90\x00\x03\x00\x00\x00", "not a text file"),
        ("p.csv", b"PK\x03\x04\x14\x00\x06\x00", "not a text file"),
        ("p.csv", b"", "empty"),
        ("p.pdf", b"%PDF-1.7\n", "not accepted"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused(manager, team, name, content, says):
    with pytest.raises(ValidationError) as exc:
        run_import(kind="placements", content=content, actor=manager, team=team, name=name)
    assert says in str(exc.value.message_dict["file"])
    assert not ImportBatch.objects.exists()


def test_an_xlsx_file_imports_like_a_csv(manager, team):
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    row = good()
    sheet.append(list(row))
    values: list[object] = list(row.values())
    values[list(row).index("balance")] = 4200.5
    values[list(row).index("days_past_due")] = 45
    sheet.append(values)
    buffer = BytesIO()
    workbook.save(buffer)
    batch = run_import(
        kind="placements", content=buffer.getvalue(), actor=manager, team=team, name="p.xlsx"
    )
    assert batch.status == "succeeded", list(batch.errors.values_list("column", "message"))
    assert Debt.objects.get().balance == Decimal("4200.50")


@pytest.mark.postgres  # SQLite caps the parameters of a statement: its bulk writes split
def test_2000_rows_use_a_fixed_number_of_queries(manager, team):
    content = rows_to_csv(placement_rows_generate(rows=2000))
    with CaptureQueriesContext(connection) as queries:
        batch = run_import(kind="placements", content=content, actor=manager, team=team)
    assert batch.status == "succeeded"
    assert Debt.objects.count() == 2000
    assert len(queries) < 60, len(queries)


def test_the_same_file_is_not_run_twice_by_two_deliveries(manager, team):
    batch = run_import(kind="placements", content=dict_csv([good()]), actor=manager, team=team)
    assert batches.batch_run(batch_id=batch.pk) is None
    assert ImportBatch.objects.get(pk=batch.pk).status == "succeeded"


def test_text_with_tabs_newlines_backslashes_and_secrets_round_trips(manager, team):
    address = "Flat 2\\B\tBlock 3\nLine two 天河区"
    row = good(address=address, national_id="123-45-6789", wechat="wx\\id")
    batch = run_import(kind="placements", content=dict_csv([row]), actor=manager, team=team)
    assert batch.status == "succeeded"
    debtor = Debtor.objects.get()
    assert debtor.address == address.replace("\r", "")
    assert debtor.national_id == "123-45-6789"
    assert debtor.history.get().address == debtor.address
    assert debtor.contact_points.get(kind="wechat").value == "wx\\id"
