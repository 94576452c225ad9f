"""Saved case filters and batch eligibility by filter: a dialer campaign's selection, kept by
its owner, always within what the caller sees, paged by case id."""

import pytest

from compliance import api as compliance_api
from compliance.models import CaseFilter
from compliance.selectors import eligibility_for_cases
from tests.api.helpers import ELIGIBILITY
from tests.compliance.gate_helpers import debtor_with_case, local
from tests.conftest import api_as
from tests.factories import DebtFactory

pytestmark = pytest.mark.django_db

FILTERS = "/api/v1/case-filters/"
NOW = local(2020, 4, 8, 10)  # a Wednesday, 10:00 in New York


@pytest.fixture
def portfolio(team, collector, teammate):  # type: ignore[no-untyped-def]
    """Mine: two credit cards (one M1, one M4) and a mortgage; a teammate's credit card."""
    card_m1 = debtor_with_case(team=team, assigned_to=collector)[0]
    card_m4 = debtor_with_case(team=team, assigned_to=collector)[0]
    debt = card_m4.debts.get()
    debt.days_past_due = 100
    debt.save()
    mortgage = debtor_with_case(team=team, assigned_to=collector, product="mortgage")[0]
    theirs = debtor_with_case(team=team, assigned_to=teammate)[0]
    return {"card_m1": card_m1, "card_m4": card_m4, "mortgage": mortgage, "theirs": theirs}


def _eligible(client, **body):  # type: ignore[no-untyped-def]
    response = client.post(
        ELIGIBILITY, {"channel": "call", "at": NOW.isoformat(), **body}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_collector_saves_a_filter_and_runs_eligibility_by_it(collector, portfolio):
    client = api_as(collector)
    saved = client.post(
        FILTERS,
        {"name": "Cards", "params": {"product": ["credit_card"], "status": ["new", "active"]}},
        format="json",
    )
    assert saved.status_code == 201, saved.content
    assert client.get(FILTERS).json()["results"][0]["name"] == "Cards"
    body = _eligible(client, saved_filter=saved.json()["id"])
    # Only the collector's own cards: the teammate's case is not in a collector's scope.
    wanted = sorted([portfolio["card_m1"].pk, portfolio["card_m4"].pk])
    assert [r["case"] for r in body["results"]] == wanted
    assert body["next_after"] is None
    direct = eligibility_for_cases(case_ids=wanted, channel="call", at=NOW)
    for row in body["results"]:
        assert row["allowed"] == direct[row["case"]].allowed
        assert row["codes"] == direct[row["case"]].codes


def test_a_filter_given_inline_narrows_by_bucket_product_and_holder(
    manager, collector, teammate, portfolio
):
    client = api_as(manager)

    def cases(**params):  # type: ignore[no-untyped-def]
        return [r["case"] for r in _eligible(client, filter=params)["results"]]

    assert cases(bucket=["M4"]) == [portfolio["card_m4"].pk]
    assert cases(product=["mortgage"]) == [portfolio["mortgage"].pk]
    assert cases(bucket=["M1"], product=["mortgage"]) == []  # one debt must match both
    assert cases(assigned_to=[teammate.pk]) == [portfolio["theirs"].pk]
    assert len(cases()) == 4
    assert cases(country=["GB"]) == []


def test_a_closed_debt_does_not_select_its_case(manager, portfolio):
    client = api_as(manager)
    paid = DebtFactory(debtor=portfolio["card_m1"].debtor, product="student_loan", status="paid")
    portfolio["card_m1"].debts.add(paid)
    assert _eligible(client, filter={"product": ["student_loan"]})["results"] == []
    paid.status = "open"
    paid.save()
    found = _eligible(client, filter={"product": ["student_loan"]})["results"]
    assert [r["case"] for r in found] == [portfolio["card_m1"].pk]


def test_a_filter_never_reaches_another_team(other_manager, portfolio, team):
    body = _eligible(api_as(other_manager), filter={"team": [team.pk]})
    assert body["results"] == [] and body["next_after"] is None


def test_a_large_selection_is_answered_in_pages_by_case_id(manager, portfolio, monkeypatch):
    monkeypatch.setattr(compliance_api, "MAX_ELIGIBILITY_CASES", 3)
    client = api_as(manager)
    first = _eligible(client, filter={})
    ids = sorted(c.pk for c in portfolio.values())
    assert [r["case"] for r in first["results"]] == ids[:3]
    assert first["next_after"] == ids[2]
    rest = _eligible(client, filter={}, after=first["next_after"])
    assert [r["case"] for r in rest["results"]] == ids[3:]
    assert rest["next_after"] is None


def test_saved_filters_are_their_owners_only(collector, teammate, auditor, portfolio):
    mine = CaseFilter.objects.create(owner=collector, name="Mine", params={})
    other = api_as(teammate)
    assert other.get(f"{FILTERS}{mine.pk}/").status_code == 404
    assert other.delete(f"{FILTERS}{mine.pk}/").status_code == 404
    assert other.get(FILTERS).json()["count"] == 0
    refused = other.post(ELIGIBILITY, {"channel": "call", "saved_filter": mine.pk}, format="json")
    assert refused.status_code == 400 and "saved_filter" in refused.json()
    auditor_client = api_as(auditor)
    assert (
        auditor_client.post(FILTERS, {"name": "A", "params": {}}, format="json").status_code == 403
    )
    assert _eligible(auditor_client, filter={"product": ["mortgage"]})["results"]
    assert CaseFilter.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cases": [1], "filter": {}}, "cases"),
        ({}, "cases"),
        ({"cases": [1], "after": 5}, "after"),
        ({"filter": {"bucket": ["M9"]}}, "filter"),
        ({"filter": {"country": ["usa"]}}, "filter"),
    ],
)
def test_bad_selections_are_refused_with_the_field(collector, body, field):
    response = api_as(collector).post(ELIGIBILITY, {"channel": "call", **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_name_is_unique_per_owner_and_params_are_checked(collector, teammate):
    client = api_as(collector)
    assert client.post(FILTERS, {"name": "X", "params": {}}, format="json").status_code == 201
    again = client.post(FILTERS, {"name": "X", "params": {}}, format="json")
    assert again.status_code == 400 and "name" in again.json()
    bad = client.post(FILTERS, {"name": "Y", "params": {"status": ["lost"]}}, format="json")
    assert bad.status_code == 400 and "params" in bad.json()
    assert (
        api_as(teammate).post(FILTERS, {"name": "X", "params": {}}, format="json").status_code
        == 201
    )
