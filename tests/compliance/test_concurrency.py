"""Two collectors (or twenty) can never both take the last permitted call."""

import threading
from collections import Counter

import pytest
from django.db import connection

from collections_app.models import ContactAttempt
from compliance.models import ComplianceDecision
from compliance.services.outreach import outreach_reserve
from tests.compliance.gate_helpers import debtor_with_case, history, local

THREADS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_race_for_the_last_permitted_call(team, collector):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    _case, cp, _debts = debtor_with_case(team=team, assigned_to=collector)
    import time_machine

    with time_machine.travel(local(2020, 4, 8, 9), tick=False):
        history(cp, collector, *[(local(2020, 4, d), "no_answer") for d in range(2, 8)])
    at = local(2020, 4, 8, 12)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            result = outreach_reserve(contact_point=cp, channel="call", actor=collector, at=at)
            codes = ",".join(sorted({r["code"] for r in result.decision.reasons}))
            with lock:
                outcomes.append("allowed" if result.allowed else codes)
        except BaseException as exc:  # reported below; a thread must not die silently
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert Counter(outcomes) == {"allowed": 1, "CALL_FREQUENCY_LIMIT": THREADS - 1}
    assert ContactAttempt.objects.filter(source="live").count() == 1
    assert ComplianceDecision.objects.filter(purpose="live").count() == THREADS
