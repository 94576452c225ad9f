"""Calls of the API v1 used across the API tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework.test import APIClient

CHECK = "/api/v1/compliance/check/"
ATTEMPTS = "/api/v1/contact-attempts/"
IMPORT = "/api/v1/contact-attempts/import/"
ELIGIBILITY = "/api/v1/compliance/eligibility/"


def check(
    client: APIClient, cp: Any, at: datetime, debts: list[Any] | None = None, channel: str = "call"
) -> dict[str, Any]:
    body: dict[str, Any] = {"contact_point": cp.pk, "channel": channel, "at": at.isoformat()}
    if debts is not None:
        body["debts"] = [d.pk for d in debts]
    response = client.post(CHECK, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def codes(decision: dict[str, Any]) -> set[str]:
    return {r["code"] for r in decision["reasons"]}


def import_calls(
    client: APIClient,
    cp: Any,
    rows: list[tuple[datetime, str]],
    *,
    debts: list[Any] | None = None,
    direction: str = "outbound",
    channel: str = "call",
) -> dict[str, Any]:
    payload = []
    for when, outcome in rows:
        row: dict[str, Any] = {
            "contact_point": cp.pk,
            "channel": channel,
            "direction": direction,
            "outcome": outcome,
            "occurred_at": when.isoformat(),
        }
        if debts is not None:
            row["debts"] = [d.pk for d in debts]
        payload.append(row)
    response = client.post(IMPORT, {"attempts": payload}, format="json")
    assert response.status_code == 201, response.content
    return response.json()
