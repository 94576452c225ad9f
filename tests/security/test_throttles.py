"""Rate limits: the token endpoint and the compliance endpoints (DRF scoped throttles)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from tests.conftest import api_as

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def low_rates(monkeypatch):  # type: ignore[no-untyped-def]
    # DRF binds the rates to the class when it is imported; patch them there.
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {"token": "3/min", "compliance": "2/min"}
    )
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_token_endpoint_is_rate_limited_per_address(client, collector, low_rates):
    url = reverse("api-token")
    body = {"username": "alice", "password": "correct-horse-battery"}
    with time_machine.travel(T0, tick=False):
        codes = [
            client.post(url, body, content_type="application/json").status_code for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        other_address = client.post(
            url, body, content_type="application/json", REMOTE_ADDR="198.51.100.9"
        )
        assert other_address.status_code == 200
    with time_machine.travel(T0 + timedelta(minutes=1, seconds=1), tick=False):
        assert client.post(url, body, content_type="application/json").status_code == 200


@pytest.mark.django_db
def test_compliance_check_is_rate_limited_per_user(collector, teammate, case, low_rates):
    """Contract with the compliance API: its views set `throttle_scope = "compliance"`."""
    from tests.factories import ContactPointFactory

    cp = ContactPointFactory(debtor=case.debtor)
    url = reverse("api-compliance-check")
    body = {"contact_point": cp.pk, "channel": "call"}
    api = api_as(collector)
    with time_machine.travel(T0, tick=False):
        codes = [api.post(url, body, format="json").status_code for _ in range(3)]
        assert codes[:2] == [200, 200]
        assert codes[2] == 429
        # Another user has their own allowance.
        assert api_as(teammate).post(url, {"channel": "call"}, format="json").status_code != 429
