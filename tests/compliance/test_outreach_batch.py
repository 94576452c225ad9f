"""The batch gate gives exactly what the single gate gives, called once per request in order.

Each comparison runs both paths on the same rows: the batch first, rolled back, then
`outreach_reserve` one request after the other. The attempts' id sequence is put back between
the two runs, so the attempts get the same ids and the stored decisions (the ledger in their
inputs names earlier attempts by id) can be compared whole.
"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from collections_app.models import ContactAttempt
from compliance.models import ComplianceDecision
from compliance.services.outreach import attempt_record_outcome, outreach_reserve
from compliance.services.outreach_batch import (
    OutreachRequest,
    attempt_record_outcome_many,
    outreach_reserve_many,
)
from compliance.services.replay import decision_replay
from tests.compliance.gate_helpers import debtor_with_case, history, local
from tests.factories import (
    CaseFactory,
    ConsentFactory,
    ContactPointFactory,
    DebtFactory,
    DebtorFactory,
    RestrictionFactory,
)

pytestmark = pytest.mark.django_db

# 10:00 on Wednesday 8 April 2020 in New York; 22:00 in Shanghai.
AT = local(2020, 4, 8, 10)

DECISION_FIELDS = (
    "evaluated_at",
    "actor_id",
    "actor_label",
    "debtor_id",
    "contact_point_id",
    "channel",
    "purpose",
    "allowed",
    "reasons",
    "warnings",
    "next_allowed_at",
    "inputs",
    "engine_version",
)
ATTEMPT_FIELDS = (
    "id",
    "case_id",
    "debtor_id",
    "contact_point_id",
    "person",
    "channel",
    "direction",
    "occurred_at",
    "status",
    "outcome",
    "actor_id",
    "source",
)


def _attempt_sequence() -> str:
    return f"pg_get_serial_sequence('{ContactAttempt._meta.db_table}', 'id')"


def _sequence_mark() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval({_attempt_sequence()})")
        return cursor.fetchone()[0]


def _sequence_reset(value: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval({_attempt_sequence()}, %s, true)", [value])


def _outcome(result: Any) -> Any:
    if isinstance(result, ValidationError):
        return ("error", result.message_dict)
    decision = ComplianceDecision.objects.get(pk=result.decision.pk)
    attempt = None
    if result.attempt is not None:
        row = ContactAttempt.objects.get(pk=result.attempt.pk)
        attempt = (
            {f: getattr(row, f) for f in ATTEMPT_FIELDS},
            sorted(row.debts.values_list("pk", flat=True)),
            row.history.count(),
        )
    return ({f: getattr(decision, f) for f in DECISION_FIELDS}, attempt)


def _both_paths(requests: list[OutreachRequest], actor: Any) -> tuple[list[Any], list[Any]]:
    """(batch outcomes, one-by-one outcomes) on the same rows."""
    mark = _sequence_mark()
    with transaction.atomic():
        batch = [
            _outcome(r)
            for r in outreach_reserve_many(
                requests=requests, actor=actor, at=AT, source="reminder", purpose="reminder"
            )
        ]
        transaction.set_rollback(True)
    _sequence_reset(mark)
    single: list[Any] = []
    for request in requests:
        try:
            result = outreach_reserve(
                contact_point=request.contact_point,
                channel=request.channel,
                actor=actor,
                case=request.case,
                at=AT,
                source="reminder",
                purpose="reminder",
                actor_label=request.actor_label,
            )
        except ValidationError as exc:
            single.append(("error", exc.message_dict))
        else:
            single.append(_outcome(result))
    return batch, single


@pytest.fixture
def varied(team, collector) -> list[OutreachRequest]:
    """Requests that the rules answer in every way: allowed, at the weekly call limit, ceased,
    outside hours, two for one debtor, and one the gate refuses outright."""
    requests: list[OutreachRequest] = []

    # Six calls this week: the first call of the batch is the 7th (allowed), the second the
    # 8th (blocked by the frequency limit, counting the first).
    at_limit, cp_limit, _ = debtor_with_case(team=team, assigned_to=collector, debts=2)
    with time_machine.travel(local(2020, 4, 8, 9), tick=False):
        history(cp_limit, collector, *[(local(2020, 4, d, 11), "no_answer") for d in range(2, 8)])
    requests += [
        OutreachRequest(contact_point=cp_limit, channel="call", case=at_limit, actor_label="a1"),
        OutreachRequest(contact_point=cp_limit, channel="call", case=at_limit, actor_label="a2"),
    ]

    # Two texts to one debtor who consented to them: both allowed, the second sees the first.
    texted, cp_text, _ = debtor_with_case(team=team, assigned_to=collector)
    ConsentFactory(debtor=texted.debtor, kind="sms", given_at=local(2020, 3, 1))
    requests += [
        OutreachRequest(contact_point=cp_text, channel="sms", case=texted, actor_label="t1"),
        OutreachRequest(contact_point=cp_text, channel="sms", case=texted, actor_label="t2"),
    ]

    ceased, cp_ceased, _ = debtor_with_case(team=team, assigned_to=collector)
    RestrictionFactory(
        debtor=ceased.debtor, kind="cease_communication", effective_at=local(2020, 3, 2)
    )
    requests.append(
        OutreachRequest(contact_point=cp_ceased, channel="call", case=ceased, actor_label="c")
    )

    # 22:00 in Shanghai: outside the hours, with a next allowed time.
    cn = DebtorFactory(country="CN", region="SH", city="Shanghai", timezone="Asia/Shanghai")
    cp_cn = ContactPointFactory(debtor=cn, kind="mobile", value="+8613800138000")
    cn_case = CaseFactory(
        debtor=cn, team=team, assigned_to=collector, debts=[DebtFactory(debtor=cn)]
    )
    requests.append(
        OutreachRequest(contact_point=cp_cn, channel="call", case=cn_case, actor_label="n")
    )

    # An email address cannot take a call: refused before anything is locked or written.
    email = ContactPointFactory(debtor=texted.debtor, kind="email", value="pat@example.org")
    requests.append(OutreachRequest(contact_point=email, channel="call", case=texted))
    # No case given: the attempt goes to the debtor's case holding the debts, as in the gate.
    requests.append(OutreachRequest(contact_point=cp_limit, channel="sms", actor_label="s"))
    requests.append(OutreachRequest(contact_point=cp_text, channel="call", actor_label="x"))
    return requests


@pytest.mark.postgres  # aligns attempt ids through PostgreSQL's sequence
def test_the_batch_decides_and_records_what_the_single_gate_does_one_by_one(varied, collector):
    batch, single = _both_paths(varied, collector)

    assert batch == single
    # The cases the set is meant to cover are really there.
    allowed = [b[0]["allowed"] if b[0] != "error" else None for b in batch]
    assert allowed[:2] == [True, False]
    assert {r["code"] for r in batch[1][0]["reasons"]} == {"CALL_FREQUENCY_LIMIT"}
    assert allowed[2:4] == [True, True]
    # The second text's ledger holds the first text's attempt.
    first_text_id = batch[2][1][0]["id"]
    assert first_text_id in {e["id"] for e in batch[3][0]["inputs"]["context"]["ledger"]}
    assert {r["code"] for r in batch[4][0]["reasons"]} == {"CEASE_COMMUNICATION"}
    assert batch[5][0]["allowed"] is False and batch[5][0]["next_allowed_at"] is not None
    assert batch[6][0] == "error"


def test_batch_decisions_replay_the_same(varied, collector):
    results = outreach_reserve_many(
        requests=varied, actor=collector, at=AT, source="reminder", purpose="reminder"
    )
    decisions = [r.decision for r in results if not isinstance(r, ValidationError)]
    assert len(decisions) == len(varied) - 1
    for decision in decisions:
        replay = decision_replay(decision_id=decision.pk)
        assert replay.same, replay.differences


@pytest.mark.postgres  # the query count of the PostgreSQL path
def test_a_batch_takes_the_same_few_queries_for_two_debtors_or_twelve(team, collector):
    def requests(n: int) -> list[OutreachRequest]:
        out = []
        for _ in range(n):
            case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
            out.append(OutreachRequest(contact_point=cp, channel="call", case=case))
        return out

    def queries(batch: list[OutreachRequest]) -> int:
        with CaptureQueriesContext(connection) as captured:
            results = outreach_reserve_many(requests=batch, actor=None, at=AT, source="reminder")
        assert all(r.allowed for r in results)
        return len(captured)

    queries(requests(1))  # the house policy is read once per process
    small, large = queries(requests(2)), queries(requests(12))
    assert small == large <= 14


def test_outcomes_in_bulk_are_those_of_the_single_outcome_service(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    with time_machine.travel(AT, tick=False):
        one, two, three = (
            outreach_reserve(contact_point=cp, channel="call", actor=None).attempt for _ in range(3)
        )
        attempt_record_outcome(attempt_id=one.pk, outcome="no_answer", actor=None, notes="rang")
        attempt_record_outcome_many(outcomes={two.pk: ("no_answer", "rang")}, actor=None)
        # The first word stands: an attempt with an outcome is left alone and reported.
        assert attempt_record_outcome_many(
            outcomes={one.pk: ("conversation", ""), three.pk: ("conversation", "")}, actor=None
        ) == {one.pk}
    fields = ("outcome", "status", "outcome_recorded_at", "notes")
    one.refresh_from_db()
    two.refresh_from_db()
    assert [getattr(two, f) for f in fields] == [getattr(one, f) for f in fields]
    assert one.outcome == "no_answer"
    assert two.history.count() == one.history.count() == 2
    assert ContactAttempt.objects.get(pk=three.pk).outcome == "conversation"


def test_an_auditor_cannot_reserve_in_a_batch(team, collector, auditor):
    case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        outreach_reserve_many(
            requests=[OutreachRequest(contact_point=cp, channel="call", case=case)], actor=auditor
        )
    assert not ComplianceDecision.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_batches_and_single_calls_racing_for_the_last_call_take_it_once(team, collector):
    """Batches lock their debtors in id order, so two batches over the same debtors (in any
    order) and a single call on one of them wait for each other and never deadlock; each
    debtor's last permitted call goes to exactly one of them."""
    import threading

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    debtors = [debtor_with_case(team=team, assigned_to=collector) for _ in range(3)]
    with time_machine.travel(local(2020, 4, 8, 9), tick=False):
        for _case, cp, _ in debtors:
            history(cp, collector, *[(local(2020, 4, d), "no_answer") for d in range(2, 8)])
    requests = [OutreachRequest(contact_point=cp, channel="call", case=c) for c, cp, _ in debtors]
    jobs = [
        lambda: outreach_reserve_many(requests=requests, actor=collector, at=AT),
        lambda: outreach_reserve_many(requests=requests[::-1], actor=collector, at=AT),
        lambda: [
            outreach_reserve(contact_point=debtors[1][1], channel="call", actor=collector, at=AT)
        ],
    ]
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as exc:  # reported below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    for _case, cp, _ in debtors:
        assert ContactAttempt.objects.filter(contact_point=cp, source="live").count() == 1
    assert ComplianceDecision.objects.filter(purpose="live").count() == 7
