"""Intake through the API: debtor -> contact points -> debts -> case, and its refusals."""

import pytest

from collections_app.models import Case, ContactPoint, Debt, Debtor
from tests.conftest import api_as
from tests.factories import ContactPointFactory, DebtFactory

pytestmark = pytest.mark.django_db

DEBTORS = "/api/v1/debtors/"


def _create_debtor(client, **extra):
    body = {
        "full_name": "Pat Doe",
        "country": "us",
        "region": "ny",
        "city": "Albany",
        "monthly_income": "4000.00",
        **extra,
    }
    response = client.post(DEBTORS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_collector_creates_debtor_contact_points_debts_and_a_case(collector, team):
    client = api_as(collector)
    debtor = _create_debtor(client)
    assert debtor["country"] == "US" and debtor["monthly_income"] == "4000.00"
    cp = client.post(
        f"{DEBTORS}{debtor['id']}/contact-points/",
        {"kind": "mobile", "value": "(518) 555-0100"},
        format="json",
    )
    assert cp.status_code == 201, cp.content
    assert cp.json()["value"] == "+15185550100"
    assert cp.json()["timezones"] == [{"zone": "America/New_York", "source": "phone_area_code"}]
    debt = client.post(
        "/api/v1/debts/",
        {
            "debtor": debtor["id"],
            "creditor": "Acme Bank",
            "account_number": "A-1",
            "product": "credit_card",
            "currency": "usd",
            "balance": "1200.50",
            "days_past_due": 40,
        },
        format="json",
    )
    assert debt.status_code == 201, debt.content
    assert debt.json()["balance"] == "1200.50" and debt.json()["bucket"] == "M2"
    case = client.post(
        "/api/v1/cases/",
        {"debtor": debtor["id"], "debts": [debt.json()["id"]], "assigned_to": collector.pk},
        format="json",
    )
    assert case.status_code == 201, case.content
    saved = Case.objects.get(pk=case.json()["id"])
    assert saved.team == team and saved.assigned_to == collector
    assert client.get(f"{DEBTORS}{debtor['id']}/").status_code == 200


def test_third_party_contact_point_needs_a_relationship_and_gets_its_own_zones(collector):
    client = api_as(collector)
    debtor = _create_debtor(client, region="CA")
    url = f"{DEBTORS}{debtor['id']}/contact-points/"
    missing = client.post(
        url, {"kind": "mobile", "value": "+12127365000", "owner": "third_party"}, format="json"
    )
    assert missing.status_code == 400 and "relationship" in missing.json()
    ok = client.post(
        url,
        {
            "kind": "mobile",
            "value": "+12127365000",
            "owner": "third_party",
            "relationship": "neighbour",
        },
        format="json",
    )
    assert ok.status_code == 201
    assert [z["zone"] for z in ok.json()["timezones"]] == ["America/New_York"]


def test_bad_phone_is_400_and_nothing_saved(collector):
    client = api_as(collector)
    debtor = _create_debtor(client)
    response = client.post(
        f"{DEBTORS}{debtor['id']}/contact-points/",
        {"kind": "mobile", "value": "+1 555 12"},
        format="json",
    )
    assert response.status_code == 400
    assert "value" in response.json()
    assert not ContactPoint.objects.exists()


def test_bad_email_and_duplicate_contact_point_are_400(collector):
    client = api_as(collector)
    debtor = _create_debtor(client)
    url = f"{DEBTORS}{debtor['id']}/contact-points/"
    assert (
        client.post(url, {"kind": "email", "value": "not-an-email"}, format="json").status_code
        == 400
    )
    assert (
        client.post(url, {"kind": "mobile", "value": "+15185550100"}, format="json").status_code
        == 201
    )
    dup = client.post(url, {"kind": "mobile", "value": "518-555-0100"}, format="json")
    assert dup.status_code == 400
    assert ContactPoint.objects.count() == 1


def test_debtor_validation_refuses_bad_country_and_zone(collector):
    client = api_as(collector)
    response = client.post(
        DEBTORS,
        {"full_name": "X", "country": "USA", "region": "NY", "timezone": "Mars/Olympus"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"country", "timezone"}
    assert not Debtor.objects.exists()


def test_duplicate_account_and_negative_balance_are_400(collector, case):
    client = api_as(collector)
    existing = case.debts.get()
    dup = client.post(
        "/api/v1/debts/",
        {
            "debtor": case.debtor_id,
            "creditor": existing.creditor,
            "account_number": existing.account_number,
            "product": "credit_card",
            "currency": "USD",
            "balance": "10.00",
        },
        format="json",
    )
    assert dup.status_code == 400 and "account_number" in dup.json()
    negative = client.post(
        "/api/v1/debts/",
        {
            "debtor": case.debtor_id,
            "creditor": "B",
            "account_number": "N-1",
            "product": "credit_card",
            "currency": "USD",
            "balance": "-1.00",
        },
        format="json",
    )
    assert negative.status_code == 400
    assert Debt.objects.count() == 1


def test_a_debt_already_in_an_open_case_cannot_open_another(collector, case):
    response = api_as(collector).post(
        "/api/v1/cases/", {"debtor": case.debtor_id, "debts": [case.debts.get().pk]}, format="json"
    )
    assert response.status_code == 400 and "debts" in response.json()


def test_collector_cannot_assign_a_new_case_to_a_teammate(collector, teammate):
    client = api_as(collector)
    debtor = _create_debtor(client)
    debt = DebtFactory(debtor_id=debtor["id"])
    response = client.post(
        "/api/v1/cases/",
        {"debtor": debtor["id"], "debts": [debt.pk], "assigned_to": teammate.pk},
        format="json",
    )
    assert response.status_code == 400 and "assigned_to" in response.json()
    assert not Case.objects.exists()


def test_a_new_debtor_is_not_visible_to_another_team(collector, other_collector, other_manager):
    debtor = _create_debtor(api_as(collector))
    for outsider in (other_collector, other_manager):
        client = api_as(outsider)
        assert client.get(f"{DEBTORS}{debtor['id']}/").status_code == 404
        assert (
            client.post(
                f"{DEBTORS}{debtor['id']}/contact-points/",
                {"kind": "mobile", "value": "+15185550100"},
                format="json",
            ).status_code
            == 404
        )
        assert client.get(DEBTORS).json()["results"] == []


def test_manager_works_a_debtor_created_by_a_team_member(collector, manager):
    debtor = _create_debtor(api_as(collector))
    response = api_as(manager).post(
        f"{DEBTORS}{debtor['id']}/contact-points/",
        {"kind": "mobile", "value": "+15185550100"},
        format="json",
    )
    assert response.status_code == 201


def test_other_teams_contact_points_and_debtors_answer_404(collector, other_case):
    cp = ContactPointFactory(debtor=other_case.debtor)
    client = api_as(collector)
    assert client.get(f"{DEBTORS}{other_case.debtor_id}/").status_code == 404
    assert client.get(f"{DEBTORS}{other_case.debtor_id}/contact-points/").status_code == 404
    assert client.get(f"/api/v1/debts/{other_case.debts.get().pk}/").status_code == 404
    assert client.get(f"/api/v1/cases/{other_case.pk}/").status_code == 404
    # An id inside a body reads like a missing row: 400 on the field, nothing revealed.
    check = client.post(
        "/api/v1/compliance/check/", {"contact_point": cp.pk, "channel": "call"}, format="json"
    )
    assert check.status_code == 400 and "contact_point" in check.json()
    missing = client.post(
        "/api/v1/compliance/check/", {"contact_point": 999999, "channel": "call"}, format="json"
    )
    assert (
        missing.json()["contact_point"][0].replace("999999", str(cp.pk))
        == (check.json()["contact_point"][0])
    )
    debt = client.post(
        "/api/v1/debts/",
        {
            "debtor": other_case.debtor_id,
            "creditor": "B",
            "account_number": "Z-9",
            "product": "credit_card",
            "currency": "USD",
            "balance": "1.00",
        },
        format="json",
    )
    assert debt.status_code == 400 and "debtor" in debt.json()


def test_auditor_reads_everything_and_every_write_is_403(auditor, case, other_case):
    client = api_as(auditor)
    assert len(client.get(DEBTORS).json()["results"]) == 2
    assert client.get(f"/api/v1/cases/{other_case.pk}/").status_code == 200
    cp = ContactPointFactory(debtor=case.debtor)
    writes = [
        (DEBTORS, {"full_name": "X", "country": "US", "region": "NY"}),
        (f"{DEBTORS}{case.debtor_id}/contact-points/", {"kind": "mobile", "value": "+15185550100"}),
        ("/api/v1/debts/", {}),
        ("/api/v1/cases/", {}),
        (f"{DEBTORS}{case.debtor_id}/restrictions/", {}),
        (f"{DEBTORS}{case.debtor_id}/consents/", {}),
        ("/api/v1/compliance/check/", {"contact_point": cp.pk, "channel": "call"}),
        ("/api/v1/contact-attempts/", {"contact_point": cp.pk, "channel": "call"}),
        ("/api/v1/contact-attempts/import/", {"attempts": []}),
    ]
    for url, body in writes:
        assert client.post(url, body, format="json").status_code == 403, url
    assert Debtor.objects.count() == 2


def test_anonymous_is_refused(client, case):
    assert client.get(DEBTORS).status_code in (401, 403)


def test_token_auth_works(collector):
    from rest_framework.test import APIClient

    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "correct-horse-battery"},
        format="json",
    )
    assert token.status_code == 200, token.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert client.get(DEBTORS).status_code == 200
