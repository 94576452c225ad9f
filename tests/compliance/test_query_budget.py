"""The gate's cost does not grow with the ledger; batch eligibility does not grow with cases."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.selectors import eligibility_for_cases
from compliance.services.eligibility import eligibility_answers
from compliance.services.house import house_policy_cache_clear
from compliance.services.outreach import outreach_reserve
from tests.compliance.gate_helpers import debtor_with_case, history, local
from tests.factories import ConsentFactory, RestrictionFactory

pytestmark = pytest.mark.django_db

# Savepoint, debtor lock, 5 snapshot reads (PostgreSQL; 10 on SQLite, where the budget is
# looser), decision insert, case lookup, attempt insert and its history row, debts link and
# history's m2m read (3), release. The house policy is cached.
RESERVE_BUDGET = 16 if connection.vendor == "postgresql" else 20


def _reserve_queries(cp, actor, at) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert outreach_reserve(contact_point=cp, channel="call", actor=actor, at=at).allowed
    return len(ctx.captured_queries)


def test_one_reservation_is_bounded_and_flat_in_ledger_size(
    team, collector, django_assert_max_num_queries
):
    house_policy_cache_clear()
    _c1, small_cp, _ = debtor_with_case(team=team, assigned_to=collector)
    _c2, big_cp, _ = debtor_with_case(team=team, assigned_to=collector)
    big_cp.value = "+15185550133"
    big_cp.save()
    with time_machine.travel(local(2020, 4, 30, 20), tick=False):
        # 58 attempts over the month (busy: they never block) plus restrictions and consents.
        rows = [(local(2020, 4, d, h), "busy") for d in range(1, 30) for h in (10, 16)]
        history(big_cp, collector, *rows)
    RestrictionFactory(
        debtor=big_cp.debtor,
        kind="dispute",
        effective_at=local(2020, 3, 1),
        ends_at=local(2020, 3, 2),
    )
    ConsentFactory(debtor=big_cp.debtor, kind="sms", given_at=local(2020, 3, 1))
    at = local(2020, 4, 30, 12)
    _reserve_queries(small_cp, collector, local(2020, 4, 29, 12))  # warms the house cache
    with django_assert_max_num_queries(RESERVE_BUDGET):
        small = _reserve_queries(small_cp, collector, at)
    with django_assert_max_num_queries(RESERVE_BUDGET):
        big = _reserve_queries(big_cp, collector, at)
    assert small == big


def _eligibility_queries(case_ids, at) -> int:
    with CaptureQueriesContext(connection) as ctx:
        results = eligibility_for_cases(case_ids=case_ids, channel="call", at=at)
    assert len(results) == len(case_ids)
    return len(ctx.captured_queries)


def test_eligibility_for_fifty_cases_uses_a_fixed_number_of_queries(team, collector):
    house_policy_cache_clear()
    cases = []
    for n in range(50):
        case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
        cp.value = f"+1518555{n:04d}"
        cp.save()
        cases.append(case)
    with time_machine.travel(local(2020, 4, 8, 9), tick=False):
        history(
            cases[0].debtor.contact_points.get(),
            collector,
            *[(local(2020, 4, d), "no_answer") for d in range(1, 8)],
        )
    at = local(2020, 4, 7, 15)
    eligibility_for_cases(case_ids=[cases[0].pk], channel="call", at=at)  # warm the cache
    few = _eligibility_queries([c.pk for c in cases[:5]], at)
    fifty = _eligibility_queries([c.pk for c in cases], at)
    # SQLite: the link tables and the ledger's older facts are queries of their own.
    assert few == fifty <= (8 if connection.vendor == "postgresql" else 13)
    results = eligibility_for_cases(case_ids=[c.pk for c in cases], channel="call", at=at)
    assert results[cases[0].pk].codes == ["CALL_FREQUENCY_LIMIT"]
    assert all(results[c.pk].allowed for c in cases[1:])


def test_stored_eligibility_answers_are_one_query_for_any_number_of_cases(team, collector):
    house_policy_cache_clear()
    cases = [debtor_with_case(team=team, assigned_to=collector)[0] for _ in range(30)]
    ids = [c.pk for c in cases]
    at = local(2020, 4, 7, 15)
    with time_machine.travel(at, tick=False):
        first, stats = eligibility_answers(case_ids=ids, channels=["call"], at=at)
        assert (stats.read, stats.computed, stats.stored) == (0, 30, 30)
        for n in (3, 30):
            with CaptureQueriesContext(connection) as ctx:
                again, stats = eligibility_answers(case_ids=ids[:n], channels=["call"], at=at)
            assert (stats.read, stats.computed) == (n, 0)
            assert len(ctx.captured_queries) == 1
            assert again == {c: first[c] for c in ids[:n]}
