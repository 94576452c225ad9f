"""The gate: outreach_reserve, outcomes and imports, against the database."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from collections_app.models import ContactAttempt, ContactPoint
from compliance.models import ComplianceDecision, Consent
from compliance.services.outreach import (
    ImportRowsInvalid,
    attempt_record_outcome,
    attempts_import,
    outreach_reserve,
)
from tests.compliance.gate_helpers import debtor_with_case, history, local

pytestmark = pytest.mark.django_db


def test_allowed_call_records_initiated_attempt_with_its_decision(team, collector):
    case, cp, debts = debtor_with_case(team=team, assigned_to=collector)
    with time_machine.travel(local(2020, 4, 8, 10), tick=False):
        result = outreach_reserve(contact_point=cp, channel="call", actor=collector)
    assert result.allowed
    attempt = result.attempt
    assert attempt.status == "initiated" and attempt.outcome == ""
    assert attempt.case == case and attempt.decision == result.decision
    assert list(attempt.debts.all()) == debts
    assert result.decision.inputs["context"]["channel"] == "call"
    assert result.decision.engine_version


def test_eighth_call_in_seven_days_is_blocked_and_nothing_recorded(team, collector):
    _case, cp, _debts = debtor_with_case(team=team, assigned_to=collector)
    with time_machine.travel(local(2020, 4, 8, 9), tick=False):
        history(
            cp,
            collector,
            (local(2020, 4, 1), "limited_content_message"),
            *[(local(2020, 4, d), "no_answer") for d in range(2, 8)],
        )
    with time_machine.travel(local(2020, 4, 7, 15), tick=False):
        blocked = outreach_reserve(contact_point=cp, channel="call", actor=collector)
    assert not blocked.allowed and blocked.attempt is None
    assert {r["code"] for r in blocked.decision.reasons} == {"CALL_FREQUENCY_LIMIT"}
    assert blocked.decision.next_allowed_at is not None
    assert ContactAttempt.objects.filter(source="live").count() == 0
    with time_machine.travel(local(2020, 4, 8, 10), tick=False):
        assert outreach_reserve(contact_point=cp, channel="call", actor=collector).allowed


def test_dry_run_writes_decision_but_no_attempt(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    with time_machine.travel(local(2020, 4, 8, 10), tick=False):
        result = outreach_reserve(contact_point=cp, channel="call", actor=collector, dry_run=True)
    assert result.allowed and result.attempt is None
    assert ComplianceDecision.objects.get().purpose == "check"


def test_auditor_cannot_reserve(team, collector, auditor):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    with pytest.raises(PermissionDenied):
        outreach_reserve(contact_point=cp, channel="call", actor=auditor)
    assert not ComplianceDecision.objects.exists()


def test_outcome_is_set_once_and_wrong_number_flags_the_contact_point(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    with time_machine.travel(local(2020, 4, 8, 10), tick=False):
        attempt = outreach_reserve(contact_point=cp, channel="call", actor=collector).attempt
        attempt_record_outcome(attempt_id=attempt.pk, outcome="wrong_number", actor=collector)
        with pytest.raises(ValidationError):
            attempt_record_outcome(attempt_id=attempt.pk, outcome="no_answer", actor=collector)
    attempt.refresh_from_db()
    assert attempt.outcome == "wrong_number" and attempt.status == "completed"
    assert ContactPoint.objects.get(pk=cp.pk).wrong_number


def test_call_back_request_records_consent_for_debts_discussed(team, collector):
    _case, cp, debts = debtor_with_case(team=team, assigned_to=collector, debts=2)
    with time_machine.travel(local(2020, 4, 3, 10), tick=False):
        attempt = outreach_reserve(contact_point=cp, channel="call", actor=collector).attempt
        attempt_record_outcome(
            attempt_id=attempt.pk,
            outcome="conversation",
            actor=collector,
            debts_discussed=[debts[0].pk],
            call_back_at=local(2020, 4, 6, 10),
        )
    consent = Consent.objects.get()
    assert consent.kind == "call_back"
    assert list(consent.debts.values_list("pk", flat=True)) == [debts[0].pk]


def test_import_flags_rows_that_broke_a_rule_and_keeps_them(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    rows = [(local(2020, 4, d), "no_answer") for d in range(1, 8)]
    rows.append((local(2020, 4, 7, 16), "no_answer"))  # the 8th in 7 days
    rows.append((local(2020, 4, 7, 22), "no_answer"))  # 8th again and after 21:00
    with time_machine.travel(local(2020, 5, 1), tick=False):
        result = history(cp, collector, *rows)
    assert result.created == 9
    assert [f["index"] for f in result.flagged] == [7, 8]
    assert {r["code"] for r in result.flagged[1]["reasons"]} == {
        "CALL_FREQUENCY_LIMIT",
        "OUTSIDE_CONTACT_HOURS",
    }
    assert ContactAttempt.objects.filter(flagged=True).count() == 2
    assert ComplianceDecision.objects.filter(purpose="import").count() == 9


def test_import_with_a_bad_row_saves_nothing(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    rows = [
        {
            "contact_point": cp.pk,
            "channel": "call",
            "direction": "outbound",
            "outcome": "no_answer",
            "occurred_at": local(2020, 4, 1),
        },
        {
            "contact_point": cp.pk,
            "channel": "pigeon",
            "direction": "outbound",
            "outcome": "no_answer",
            "occurred_at": local(2020, 4, 2),
        },
    ]
    with (
        time_machine.travel(local(2020, 5, 1), tick=False),
        pytest.raises(ImportRowsInvalid) as exc,
    ):
        attempts_import(rows=rows, actor=collector)
    assert list(exc.value.rows) == [1]
    assert not ContactAttempt.objects.exists()


def test_a_redelivered_import_changes_nothing(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    rows = [
        {
            "contact_point": cp.pk,
            "channel": "call",
            "direction": "outbound",
            "outcome": "no_answer",
            "occurred_at": local(2020, 4, d),
            "external_reference": f"d-{d}",
        }
        for d in (1, 2)
    ]
    with time_machine.travel(local(2020, 5, 1), tick=False):
        first = attempts_import(rows=rows, actor=collector)
        again = attempts_import(
            rows=[*rows, dict(rows[0], external_reference="d-3", occurred_at=local(2020, 4, 3))],
            actor=collector,
        )
    assert (first.created, first.skipped) == (2, [])
    assert (again.created, again.skipped) == (1, [0, 1])
    assert ContactAttempt.objects.count() == 3


def test_one_reference_twice_in_a_batch_is_a_row_error(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    row = {
        "contact_point": cp.pk,
        "channel": "call",
        "direction": "outbound",
        "outcome": "no_answer",
        "occurred_at": local(2020, 4, 1),
        "external_reference": "x",
    }
    with (
        time_machine.travel(local(2020, 5, 1), tick=False),
        pytest.raises(ImportRowsInvalid) as exc,
    ):
        attempts_import(rows=[row, dict(row, occurred_at=local(2020, 4, 2))], actor=collector)
    assert list(exc.value.rows) == [1]
    assert not ContactAttempt.objects.exists()


def test_a_channel_the_contact_point_cannot_carry_is_refused(team, collector):
    case, _cp, _ = debtor_with_case(team=team, assigned_to=collector)
    email = ContactPoint.objects.create(debtor=case.debtor, kind="email", value="p@example.com")
    with pytest.raises(ValidationError) as exc:
        outreach_reserve(contact_point=email, channel="call", actor=collector)
    assert "channel" in exc.value.message_dict
    assert not ComplianceDecision.objects.exists()
