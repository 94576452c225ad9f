"""Hostile input: schemathesis generates requests for every operation in /api/schema/ and sends
them, through the WSGI app (no network), as each role (ASVS V5, V13).

Bounded and reproducible for CI: FUZZ_MAX_EXAMPLES (default 10) examples per operation,
derandomized (a fixed seed), no example database; about two minutes for the whole API on a CI
machine. Raise FUZZ_MAX_EXAMPLES for a deeper run before a release. Each example is sent
with the next role token in turn, so every operation is exercised by every role within the
budget.
"""

import itertools
import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from config.wsgi import application
from tests.factories import ContactAttemptFactory, ContactPointFactory

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "10")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
ROLES = ("collector", "manager", "auditor", "admin_user", "other_collector", None)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():  # type: ignore[no-untyped-def]
    """Requests go through the WSGI handler, whose signals would close the database connection
    that holds the test's transaction; Django's test client disconnects them the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def role_headers(request, case, other_case) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """An endless rotation of Authorization headers, one per role (None: anonymous); the world
    has a case with a contact point and an attempt, so valid ids exist."""
    ContactAttemptFactory(case=case, contact_point=ContactPointFactory(debtor=case.debtor))
    headers = []
    for name in ROLES:
        if name is None:
            headers.append({})
            continue
        user = request.getfixturevalue(name)
        token, _ = Token.objects.get_or_create(user=user)
        headers.append({"Authorization": f"Token {token.key}"})
    return itertools.cycle(headers)


# Loaded when the module is imported: generating the schema needs no database. (The lazy
# `schemathesis.pytest.from_fixture` loader breaks on pytest 9's node ids in 4.32.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_api_survives_generated_requests(case, role_headers):  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=next(role_headers), checks=CHECKS)
