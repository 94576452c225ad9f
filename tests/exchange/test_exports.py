"""Finance exports: streamed CSV, by date range, scoped, formula injection neutralised."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from collections_app.models import Payment
from exchange.csv_safe import cell_safe
from tests.factories import PromiseFactory

pytestmark = [pytest.mark.django_db]


def pay(case, ref: str, when: datetime, amount: str = "10.00") -> Payment:  # type: ignore[no-untyped-def]
    return Payment.objects.create(
        case=case,
        debt=case.debts.get(),
        amount=Decimal(amount),
        received_at=when,
        external_reference=ref,
        method='=HYPERLINK("http://evil")',
    )


def export(client, user, **params):  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(reverse("exchange:exports"), params)
    return response


def rows_of(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1 212", "'+1 212"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Jane", "Jane"),
        (Decimal("-5.00"), Decimal("-5.00")),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(value, safe):
    assert cell_safe(value) == safe


def test_payments_in_the_range_of_my_team_only(client, manager, case, other_case):
    pay(case, "IN", datetime(2026, 3, 5, 23, 59, tzinfo=UTC))
    pay(case, "OUT", datetime(2026, 3, 6, 0, 0, tzinfo=UTC))
    pay(other_case, "THEIRS", datetime(2026, 3, 5, tzinfo=UTC))
    response = export(
        client, manager, kind="payments", date_from="2026-03-01", date_to="2026-03-05"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="payments-2026-03-01-2026-03-05.csv"'
    )
    rows = rows_of(response)
    assert [r["external_reference"] for r in rows] == ["IN"]
    assert rows[0]["method"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["amount"] == "10.00"


def test_the_auditor_exports_everything(client, auditor, case, other_case):
    pay(case, "A", datetime(2026, 3, 5, tzinfo=UTC))
    pay(other_case, "B", datetime(2026, 3, 5, tzinfo=UTC))
    rows = rows_of(
        export(client, auditor, kind="payments", date_from="2026-03-05", date_to="2026-03-05")
    )
    assert sorted(r["external_reference"] for r in rows) == ["A", "B"]


def test_cases_promises_and_plans_export(client, manager, case):
    case.debtor.full_name = "=cmd|' /C calc'!A0"
    case.debtor.save()
    PromiseFactory(case=case, created_by=manager)
    today = datetime.now(UTC).date().isoformat()
    cases = rows_of(export(client, manager, kind="cases", date_from=today, date_to=today))
    assert len(cases) == 1
    assert cases[0]["case_debtor_full_name"].startswith("'=cmd")
    assert cases[0]["debt_balance"] == "4200.00"
    promises = rows_of(export(client, manager, kind="promises", date_from=today, date_to=today))
    assert [p["created_by_username"] for p in promises] == ["morgan"]
    assert rows_of(export(client, manager, kind="plans", date_from=today, date_to=today)) == []


def test_a_collector_cannot_export(client, collector):
    response = export(
        client, collector, kind="payments", date_from="2026-03-01", date_to="2026-03-02"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "payments", "date_from": "2026-03-05", "date_to": "2026-03-01"},
        {"kind": "payments", "date_from": "2024-01-01", "date_to": "2026-03-01"},
        {"kind": "secrets", "date_from": "2026-03-01", "date_to": "2026-03-02"},
        {"kind": "payments", "date_from": "yesterday", "date_to": "2026-03-02"},
    ],
)
def test_a_bad_request_is_a_400_with_the_form(client, manager, params):
    response = export(client, manager, **params)
    assert response.status_code == 400
    assert b"errorlist" in response.content


def test_the_api_streams_the_same_export(manager, case, other_case):
    from tests.conftest import api_as

    pay(case, "MINE", datetime(2026, 3, 5, tzinfo=UTC))
    pay(other_case, "THEIRS", datetime(2026, 3, 5, tzinfo=UTC))
    response = api_as(manager).get(
        "/api/v1/exports/payments/", {"date_from": "2026-03-05", "date_to": "2026-03-05"}
    )
    assert response.status_code == 200
    assert [r["external_reference"] for r in rows_of(response)] == ["MINE"]


def test_the_api_refuses_collectors_and_bad_ranges(collector, manager):
    from tests.conftest import api_as

    params = {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    assert api_as(collector).get("/api/v1/exports/payments/", params).status_code == 403
    response = api_as(manager).get("/api/v1/exports/payments/", params)
    assert response.status_code == 400
    assert api_as(manager).get("/api/v1/exports/secrets/", {}).status_code == 400
