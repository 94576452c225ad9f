"""The access matrix: every URL x every persona -> status (ASVS V4).

`access_table.MATRIX` declares the rows; this module runs them and fails when the URLconf has
a route the table does not mention. Every GET by a US-team persona is also scanned for the
other team's debtor name and national id: nothing out of scope may leak into lists, filters,
exports or partials.
"""

import os
from pathlib import Path

import pytest

from .access_table import EXEMPT_PREFIXES, MATRIX
from .matrix import OTHER_TEAM_MARKER, OTHER_TEAM_NATIONAL_ID, ROLES, Row, World, url_patterns

IN_TEAM = ("collector", "manager")
PERSONA_FIXTURES = (
    "collector",
    "other_collector",
    "manager",
    "other_manager",
    "auditor",
    "admin_user",
    "case",
    "other_case",
    "teammate",
)


@pytest.fixture
def world(request, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    fixtures = {name: request.getfixturevalue(name) for name in PERSONA_FIXTURES}
    fixtures["admin"] = fixtures.pop("admin_user")
    return World(fixtures)


def test_every_url_is_in_the_matrix():
    covered = {row.name for row in MATRIX}
    missing = [
        f"{key}  ({route})"
        for key, route in url_patterns()
        if key not in covered and not key.startswith(EXEMPT_PREFIXES)
    ]
    assert not missing, "URLs missing from tests/security/access_table.py:\n" + "\n".join(
        sorted(set(missing))
    )


def test_the_matrix_names_only_urls_that_exist():
    known = {key for key, _route in url_patterns()}
    stale = sorted({row.name for row in MATRIX} - known)
    assert not stale, f"rows for URLs that no longer exist: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
def test_access(world: World, row: Row) -> None:
    mismatches = []
    for role, expected in row.statuses.items():
        response = world.request(row, role)
        if response.status_code != expected:
            mismatches.append(f"{role}: expected {expected}, got {response.status_code}")
        if role in IN_TEAM and row.method == "GET" and response.status_code == 200:
            body = b"".join(response) if response.streaming else response.content
            text = body.decode("utf-8", errors="replace")
            if OTHER_TEAM_MARKER in text or OTHER_TEAM_NATIONAL_ID in text:
                mismatches.append(f"{role}: response shows the other team's debtor")
    assert not mismatches, f"{row.id} ({world.url(row)}):\n" + "\n".join(mismatches)


GUESS_KWARG = {
    "case_id": "case",
    "attempt_id": "attempt",
    "decision_id": "decision",
    "debtor_id": "debtor",
    "evidence_id": "evidence",
    "plan_id": "plan",
    "request_id": "escalation",
    "action_id": "legal_action",
    "placement_id": "placement",
    "rule_id": "allocation_rule",
    "follow_up_id": "follow_up",
    "batch_id": "batch",
    "exception_id": "exception",
    "kind": "=cases",
}


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("MATRIX_RECORD"), reason="set MATRIX_RECORD=1 to record")
def test_record_current_behaviour(world: World) -> None:
    """Prints a table row with today's statuses for every URL not yet in the matrix (a
    starting point: each row must still be judged against the policy before it goes in)."""
    import re

    covered = {row.name for row in MATRIX}
    lines = []
    for key, route in url_patterns():
        if key in covered or key.startswith(EXEMPT_PREFIXES):
            continue
        params = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
        kwargs = {}
        for a, b in params:
            name = a or b
            if name == "pk":
                kind = key.removeprefix("api-").removesuffix("-detail")
                kwargs[name] = {"attempt": "attempt"}.get(kind, kind)
            else:
                kwargs[name] = GUESS_KWARG.get(name, name)
        api = route.startswith("api/")
        for method in ("GET", "POST"):
            row = Row(key, method, " ".join(["0"] * len(ROLES)), kwargs=kwargs, api=api)
            try:
                codes = [str(world.request(row, role).status_code) for role in ROLES]
            except Exception as exc:
                codes = [f"ERR:{type(exc).__name__}"]
            lines.append(
                f'    Row("{key}", "{method}", "{" ".join(codes)}", kwargs={kwargs!r}'
                + (", api=True" if api else "")
                + "),"
            )
    Path("var/matrix_record.txt").write_text("\n".join(lines) + "\n")


@pytest.mark.django_db
def test_another_teams_object_in_a_body_looks_like_a_missing_one(world: World) -> None:
    """Out-of-scope ids named in a request body are refused exactly like ids that do not exist,
    so the answer reveals nothing about the other team."""
    from django.test import Client

    client = Client()
    client.force_login(world.users["collector"])
    other_cp = world.other_case.debtor.contact_points.first()
    assert other_cp is not None

    def check(contact_point: int) -> tuple[int, str]:
        response = client.post(
            "/api/v1/compliance/check/",
            {"contact_point": contact_point, "channel": "call"},
            content_type="application/json",
        )
        return response.status_code, response.content.decode().replace(str(contact_point), "ID")

    assert check(other_cp.pk) == check(999_999_999)
