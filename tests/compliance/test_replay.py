"""Stored decisions replay to the same result; tampered inputs are caught."""

import pytest
import time_machine
from django.core.management import CommandError, call_command

from compliance.models import ComplianceDecision
from compliance.services.outreach import outreach_reserve
from compliance.services.replay import decision_replay
from tests.compliance.gate_helpers import debtor_with_case, history, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def decisions(team, collector):
    _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
    with time_machine.travel(local(2020, 4, 8, 9), tick=False):
        history(cp, collector, *[(local(2020, 4, d), "no_answer") for d in range(1, 8)])
    with time_machine.travel(local(2020, 4, 7, 15), tick=False):
        blocked = outreach_reserve(contact_point=cp, channel="call", actor=collector).decision
    with time_machine.travel(local(2020, 4, 8, 15), tick=False):
        allowed = outreach_reserve(contact_point=cp, channel="call", actor=collector).decision
    assert not blocked.allowed and allowed.allowed
    return blocked, allowed


def test_stored_decisions_replay_the_same(decisions):
    for decision in [*decisions, *ComplianceDecision.objects.filter(purpose="import")]:
        result = decision_replay(decision_id=decision.pk)
        assert result.same, result.differences
        assert result.replayed["allowed"] == decision.allowed


def test_tampered_inputs_are_reported(decisions):
    blocked, _allowed = decisions
    blocked.inputs["context"]["ledger"] = blocked.inputs["context"]["ledger"][:3]
    ComplianceDecision.objects.filter(pk=blocked.pk).update(inputs=blocked.inputs)
    result = decision_replay(decision_id=blocked.pk)
    assert not result.same
    assert any(d.startswith("allowed:") for d in result.differences)


def test_command_exits_non_zero_on_difference(decisions, capsys):
    blocked, allowed = decisions
    call_command("compliance_replay", str(blocked.pk), str(allowed.pk))
    assert f"decision {blocked.pk}: same" in capsys.readouterr().out
    ComplianceDecision.objects.filter(pk=allowed.pk).update(allowed=False)
    with pytest.raises(CommandError) as exc:
        call_command("compliance_replay", str(allowed.pk))
    assert exc.value.returncode == 1
    assert "DIFFERENT" in capsys.readouterr().out
    with pytest.raises(CommandError) as missing:
        call_command("compliance_replay", "999999")
    assert missing.value.returncode == 2
