"""The hash chain: sealing after the fact, and `audit_verify` catching edits made outside
the app (raw SQL), deletions and re-ordering."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import ChainHead, ChainLink
from audit.services.chain import chain_seal, chain_verify
from tests.factories import ComplianceDecisionFactory, ContactAttemptFactory

pytestmark = pytest.mark.postgres  # raw SQL with PostgreSQL types

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


@pytest.fixture
def ledger(case):
    with time_machine.travel(T0, tick=False):
        decisions = [ComplianceDecisionFactory(debtor=case.debtor) for _ in range(3)]
        attempts = [
            ContactAttemptFactory(case=case, decision=d, status="initiated", outcome="")
            for d in decisions
        ]
        attempts[0].debts.set(case.debts.all())
    return decisions, attempts


def _seal(at: datetime = T0 + timedelta(minutes=5)) -> int:
    with time_machine.travel(at, tick=False):
        return chain_seal()


def _problems(at: datetime = T0 + timedelta(minutes=5)) -> list[str]:
    with time_machine.travel(at, tick=False):
        return [str(p) for p in chain_verify()]


def test_rows_are_sealed_once_settled_and_the_chain_verifies(ledger):
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        assert chain_seal() == 0  # not settled yet: a late commit could still take a lower id
    assert _seal() == 6
    assert _seal() == 0  # idempotent
    links = list(ChainLink.objects.order_by("seq"))
    assert [link.seq for link in links] == [1, 2, 3, 4, 5, 6]
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(links))
    assert ChainHead.objects.get().row_hash == links[-1].row_hash
    assert _problems() == []


def test_a_decision_changed_with_raw_sql_is_detected(ledger):
    decisions, _ = ledger
    _seal()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compliance_compliancedecision SET allowed = NOT allowed WHERE id = %s",
            [decisions[1].pk],
        )
    problems = _problems()
    assert problems == [
        f"link 2: decision {decisions[1].pk}: row content changed",
    ]


def test_an_attempt_moved_in_time_or_deleted_is_detected(ledger):
    _, attempts = ledger
    _seal()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE collections_app_contactattempt"
            " SET occurred_at = occurred_at - interval '3 days' WHERE id = %s",
            [attempts[0].pk],
        )
        cursor.execute(
            "DELETE FROM collections_app_contactattempt_debts WHERE contactattempt_id = %s",
            [attempts[0].pk],
        )
    problems = _problems()
    assert len(problems) == 1
    assert f"attempt {attempts[0].pk}: row content changed" in problems[0]


def test_removing_a_link_breaks_the_order(ledger):
    _seal()
    ChainLink.objects.filter(seq=3).delete()
    problems = _problems()
    assert any("sequence gap" in p for p in problems)
    assert any("previous hash differs" in p for p in problems)


def test_the_outcome_is_sealed_by_its_own_link_when_recorded(ledger):
    _, attempts = ledger
    _seal()
    attempt = attempts[2]
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        attempt.outcome = "conversation"
        attempt.status = "completed"
        attempt.outcome_recorded_at = T0 + timedelta(minutes=10)
        attempt.save()
    assert _problems(T0 + timedelta(minutes=12)) == []  # the facts part is unchanged
    assert _seal(T0 + timedelta(minutes=12)) == 1
    assert ChainLink.objects.filter(kind="outcome", object_id=attempt.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE collections_app_contactattempt SET outcome = 'no_answer' WHERE id = %s",
            [attempt.pk],
        )
    assert _problems(T0 + timedelta(minutes=12)) == [
        f"link 7: outcome {attempt.pk}: row content changed"
    ]


def test_a_row_never_sealed_for_a_day_is_reported(ledger):
    decisions, _ = ledger
    assert any(
        f"decision {decisions[0].pk}: older than a day and never sealed" in p
        for p in _problems(T0 + timedelta(days=2))
    )


def test_audit_verify_exits_non_zero_on_tampering(ledger, capsys):
    decisions, _ = ledger
    _seal()
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        call_command("audit_verify")
        assert "intact" in capsys.readouterr().out
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE compliance_compliancedecision SET reasons = '[]'::jsonb,"
                " channel = 'sms' WHERE id = %s",
                [decisions[0].pk],
            )
        with pytest.raises(CommandError, match="1 problem"):
            call_command("audit_verify")
    assert f"decision {decisions[0].pk}: row content changed" in capsys.readouterr().out


def test_the_beat_task_seals(ledger):
    from audit.tasks import chain_seal as chain_seal_task

    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert chain_seal_task() == 6


@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_build_one_chain(case):
    """The head row lock queues a second sealer: every row sealed once, no fork."""
    import threading

    from django.db import connection as conn

    with time_machine.travel(T0, tick=False):
        for _ in range(40):
            ComplianceDecisionFactory(debtor=case.debtor)
    results: list[int] = []

    def seal() -> None:
        try:
            results.append(chain_seal(batch_size=5, now=T0 + timedelta(minutes=5)))
        finally:
            conn.close()

    threads = [threading.Thread(target=seal) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 40
    assert ChainLink.objects.count() == 40
    assert list(chain_verify(now=T0 + timedelta(minutes=5))) == []


def test_the_gate_and_the_outcome_service_keep_the_chain_intact(case, collector):
    """The real write paths: reserve (decision + attempt), seal, record the outcome, seal."""
    from compliance.services.outreach import attempt_record_outcome, outreach_reserve
    from tests.factories import ContactPointFactory

    cp = ContactPointFactory(debtor=case.debtor, value="+12125550123")
    with time_machine.travel(T0, tick=False):
        result = outreach_reserve(contact_point=cp, channel="call", actor=collector, case=case)
    assert _seal() == 2
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        attempt_record_outcome(
            attempt_id=result.attempt.pk,
            outcome="conversation",
            actor=collector,
            debts_discussed=list(case.debts.values_list("pk", flat=True)),
            notes="Promised to pay on Friday",
        )
    later = T0 + timedelta(minutes=10)
    assert _problems(later) == []
    assert _seal(later) == 1
    assert _problems(later) == []
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM collections_app_contactattempt_debts_discussed"
            " WHERE contactattempt_id = %s",
            [result.attempt.pk],
        )
    assert _problems(later) == [f"link 3: outcome {result.attempt.pk}: row content changed"]


def test_the_minute_job_looks_near_the_head_and_the_full_pass_finds_stragglers(
    ledger, case, monkeypatch
):
    import audit.services.chain as chain

    decisions, _ = ledger
    _seal()
    monkeypatch.setattr(chain, "ID_WINDOW", 1)
    with time_machine.travel(T0, tick=False):
        # A row that appears far behind the head (an id taken long ago, committed late, or
        # slipped in by hand): the every-minute pass does not scan that far back...
        straggler = ComplianceDecisionFactory(id=decisions[0].pk - 1000, debtor=case.debtor)
    assert _seal() == 0
    # ...the verifier reports it once it is a day old, and a full pass seals it.
    late = T0 + timedelta(days=2)
    assert f"decision {straggler.pk}: older than a day and never sealed" in " ".join(
        _problems(late)
    )
    with time_machine.travel(late, tick=False):
        assert chain_seal(full=True) == 1
    assert _problems(late) == []
