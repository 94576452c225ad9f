"""The OpenAPI schema is generated from the code and lists every v1 path of the contract."""

import pytest

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = [
    "/api/v1/debtors/",
    "/api/v1/debtors/{debtor_id}/contact-points/",
    "/api/v1/debts/",
    "/api/v1/cases/",
    "/api/v1/debtors/{debtor_id}/restrictions/",
    "/api/v1/debtors/{debtor_id}/consents/",
    "/api/v1/compliance/check/",
    "/api/v1/contact-attempts/",
    "/api/v1/contact-attempts/{id}/",
    "/api/v1/contact-attempts/import/",
    "/api/v1/compliance/eligibility/",
]


def test_schema_lists_the_contract(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for path in CONTRACT_PATHS:
        assert path in schema["paths"], path
    attempts = schema["paths"]["/api/v1/contact-attempts/"]["post"]["responses"]
    assert {"201", "409"} <= set(attempts)
    assert "patch" in schema["paths"]["/api/v1/contact-attempts/{id}/"]
