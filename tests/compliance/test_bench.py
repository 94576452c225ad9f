"""The benchmark command runs on whatever data exists and leaves nothing behind."""

import pytest
from django.core.management import call_command

from compliance.models import ComplianceDecision, EligibilityAnswer
from tests.compliance.gate_helpers import debtor_with_case

pytestmark = pytest.mark.django_db


def test_bench_compliance_reports_latency_and_throughput_and_writes_nothing(
    team, collector, capsys
):
    for n in range(3):
        _case, cp, _ = debtor_with_case(team=team, assigned_to=collector)
        cp.value = f"+1518555{n:04d}"
        cp.save()
    call_command("bench_compliance", "--decisions", "3", "--cases", "3", "--batch", "2")
    out = capsys.readouterr().out
    assert "gate decisions: n=3" in out and "p99=" in out
    assert "eligibility: cases=3" in out and "cases/s" in out
    assert "eligibility, first ask: cases=3 read_stored=0" in out
    assert "eligibility, asked again: cases=3 read_stored=3" in out
    assert not ComplianceDecision.objects.exists()
    assert not EligibilityAnswer.objects.exists()
