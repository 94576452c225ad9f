"""The audit workspace pages and API: who may see what, the CSV export, the decision in plain
words and its replay, the as-of view and the PDF report."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from audit.exports import csv_safe
from compliance.services.outreach import outreach_reserve
from tests.conftest import api_as
from tests.factories import (
    CaseFactory,
    ComplianceDecisionFactory,
    ContactAttemptFactory,
    ContactPointFactory,
    DebtorFactory,
    RestrictionFactory,
)

MONDAY_11_NY = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


@pytest.fixture
def gate(case, collector):
    """One allowed call (an attempt) and one blocked try (after a cease letter) on alice's case."""
    cp = ContactPointFactory(debtor=case.debtor, value="+12125550123")
    with time_machine.travel(MONDAY_11_NY, tick=False):
        allowed = outreach_reserve(contact_point=cp, channel="call", actor=collector, case=case)
    with time_machine.travel(MONDAY_11_NY + timedelta(hours=1), tick=False):
        RestrictionFactory(debtor=case.debtor, kind="cease_communication", source_document="L-1")
        blocked = outreach_reserve(contact_point=cp, channel="call", actor=collector, case=case)
    assert allowed.attempt is not None and blocked.attempt is None
    return {"attempt": allowed.attempt, "allowed": allowed.decision, "blocked": blocked.decision}


def _urls(gate, case):  # type: ignore[no-untyped-def]
    return [
        reverse("audit:home"),
        reverse("audit:history_export"),
        reverse("audit:decision", args=[gate["blocked"].pk]),
        reverse("audit:decision_replay", args=[gate["blocked"].pk]),
        reverse("audit:attempt", args=[gate["attempt"].pk]),
        reverse("audit:debtor_as_of", args=[case.debtor_id]),
        reverse("audit:debtor_report", args=[case.debtor_id]),
        reverse("audit:evidence_pack", args=[case.pk]),
    ]


def test_every_workspace_page_answers_the_auditor(client, auditor, gate, case):
    client.force_login(auditor)
    for url in _urls(gate, case):
        assert client.get(url).status_code == 200, url


def test_collectors_get_404_on_every_workspace_page(client, collector, gate, case):
    client.force_login(collector)
    for url in _urls(gate, case):
        assert client.get(url).status_code == 404, url


def test_anonymous_users_are_sent_to_login(client, gate, case):
    for url in _urls(gate, case):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_a_manager_reads_the_own_team_and_gets_404_for_another(
    client, manager, other_manager, gate, case
):
    client.force_login(manager)
    for url in _urls(gate, case):
        assert client.get(url).status_code == 200, url
    client.force_login(other_manager)
    for url in _urls(gate, case)[2:]:
        assert client.get(url).status_code == 404, url


def test_the_workspace_never_accepts_a_write(client, auditor, gate, case):
    client.force_login(auditor)
    for url in _urls(gate, case):
        assert client.post(url).status_code == 405, url
    for path in ("/api/v1/audit/attempts/", "/api/v1/audit/attempts/export.csv"):
        assert api_as(auditor).post(path, {}).status_code == 405


def test_the_search_lists_attempts_and_blocked_tries(client, auditor, gate, case):
    client.force_login(auditor)
    response = client.get(reverse("audit:home"), {"debtor": case.debtor.full_name[:5]})
    body = response.content.decode()
    assert 'data-kind="blocked"' in body and 'data-kind="attempt"' in body
    assert "CEASE_COMMUNICATION" in body


def test_a_bad_date_range_is_a_clear_error(client, auditor):
    client.force_login(auditor)
    response = client.get(
        reverse("audit:home"), {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    )
    assert "The start date is after the end date." in response.content.decode()
    export = client.get(reverse("audit:history_export"), {"date_from": "not-a-date"})
    assert export.status_code == 400


def test_the_search_page_query_count_does_not_grow_with_rows(
    client, auditor, case, django_assert_max_num_queries
):
    client.force_login(auditor)
    ContactAttemptFactory.create_batch(3, case=case)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("audit:home"))
    ContactAttemptFactory.create_batch(40, case=case)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("audit:home"))


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(dangerous) == "'" + dangerous
    assert csv_safe("Alice") == "Alice"
    assert csv_safe(5) == 5


def test_the_csv_export_streams_the_search_with_neutralised_cells(client, auditor, team):
    debtor = DebtorFactory(full_name='=HYPERLINK("http://evil","x")')
    case = CaseFactory(debtor=debtor, team=team)
    ContactAttemptFactory(case=case, outcome="conversation")
    client.force_login(auditor)
    response = client.get(reverse("audit:history_export"), {"debtor": str(debtor.pk)})
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Kind"
    assert rows[1][3] == "'" + debtor.full_name
    assert rows[1][9] == "conversation"


def test_the_api_lists_the_history_with_filters(auditor, gate, case):
    response = api_as(auditor).get("/api/v1/audit/attempts/", {"debtor": case.debtor_id})
    assert response.status_code == 200
    kinds = [r["kind"] for r in response.json()["results"]]
    assert kinds == ["blocked", "attempt"]
    flagged = api_as(auditor).get("/api/v1/audit/attempts/", {"flagged": "true"})
    assert flagged.json()["count"] == 0
    bad = api_as(auditor).get("/api/v1/audit/attempts/", {"from": "yesterday"})
    assert bad.status_code == 400


def test_the_api_is_404_for_collectors_and_scoped_for_managers(
    collector, other_manager, gate, case
):
    assert api_as(collector).get("/api/v1/audit/attempts/").status_code == 404
    assert api_as(collector).get("/api/v1/audit/attempts/export.csv").status_code == 404
    theirs = api_as(other_manager).get("/api/v1/audit/attempts/")
    assert theirs.json()["count"] == 0


def test_the_decision_reads_in_plain_words(client, auditor, gate):
    client.force_login(auditor)
    response = client.get(reverse("audit:decision", args=[gate["blocked"].pk]))
    body = response.content.decode()
    assert "CEASE_COMMUNICATION" in body
    assert "America/New_York" in body
    assert "us_federal" in body  # the packs and their versions
    assert "cease_communication" in body and "applied to this outreach" in body
    assert "L-1" in body  # the restriction's source document
    assert "Only a person can lift this block" in body


def test_the_attempt_page_shows_its_decision(client, auditor, gate):
    client.force_login(auditor)
    response = client.get(reverse("audit:attempt", args=[gate["attempt"].pk]))
    body = response.content.decode()
    assert f"Compliance decision {gate['allowed'].pk}" in body
    assert "Allowed" in body


def test_replay_says_the_result_is_the_same_today(client, auditor, gate):
    client.force_login(auditor)
    response = client.get(reverse("audit:decision_replay", args=[gate["blocked"].pk]))
    assert "the same result" in response.content.decode()


def test_replay_shows_the_differences_of_tampered_inputs(client, auditor, gate):
    decision = gate["blocked"]
    inputs = decision.inputs
    inputs["context"]["restrictions"] = []
    type(decision).objects.filter(pk=decision.pk).update(inputs=inputs)
    client.force_login(auditor)
    body = client.get(reverse("audit:decision_replay", args=[decision.pk])).content.decode()
    assert "the result would differ" in body
    assert "allowed" in body


def test_a_decision_without_a_stored_context_says_so(client, auditor, case):
    decision = ComplianceDecisionFactory(debtor=case.debtor, allowed=False, inputs={})
    client.force_login(auditor)
    body = client.get(reverse("audit:decision_replay", args=[decision.pk])).content.decode()
    assert "no stored context" in body


def test_the_debtor_as_of_an_earlier_date(client, auditor, case):
    debtor = case.debtor
    t1 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    with time_machine.travel(t1, tick=False):
        debtor.full_name = "Pat Earlier"
        debtor.save()
        ContactPointFactory(debtor=debtor, value="+12125550111")
    with time_machine.travel(t1 + timedelta(days=30), tick=False):
        debtor.full_name = "Pat Later"
        debtor.save()
        ContactPointFactory(debtor=debtor, value="+12125550122")
        RestrictionFactory(debtor=debtor, kind="dispute")
    client.force_login(auditor)
    url = reverse("audit:debtor_as_of", args=[debtor.pk])
    body = client.get(url, {"at": "2026-01-20"}).content.decode()
    assert '<span id="as-of-name">Pat Earlier</span>' in body
    assert "+12125550111" in body and "+12125550122" not in body
    assert "Dispute" not in body
    later = client.get(url, {"at": "2026-03-01T00:00"}).content.decode()
    assert '<span id="as-of-name">Pat Later</span>' in later
    assert "+12125550122" in later and "Dispute" in later
    before = client.get(url, {"at": "2020-01-01"}).content.decode()
    assert "not on file yet" in before
    assert client.get(url, {"at": "soon"}).status_code == 400


def test_the_pdf_report_renders_a_chinese_name(client, auditor, other_team):
    debtor = DebtorFactory(full_name="王小明", country="CN", region="GD", city="深圳")
    case = CaseFactory(debtor=debtor, team=other_team)
    ContactAttemptFactory(case=case, outcome="conversation")
    client.force_login(auditor)
    response = client.get(reverse("audit:debtor_report", args=[debtor.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"STSong-Light" in response.content
    # The name is set in the CID font as UCS-2 codes, not replaced by question marks.
    assert "王小明".encode("utf-16-be") in _pdf_text(response.content)
    assert "深圳".encode("utf-16-be") in _pdf_text(response.content)


def _pdf_text(pdf: bytes) -> bytes:
    """The page content streams (ASCII85 + Flate, as reportlab writes them), unescaped."""
    import base64
    import re
    import zlib

    out = b""
    for raw in re.findall(rb"stream\r?\n(.*?)~>endstream", pdf, re.S):
        data = zlib.decompress(base64.a85decode(raw.replace(b"\n", b"").replace(b"\r", b"")))
        out += re.sub(
            rb"\\([0-7]{3}|.)",
            lambda m: bytes([int(m.group(1), 8)]) if len(m.group(1)) == 3 else m.group(1),
            data,
        )
    return out


def test_the_records_page_shows_holds_purges_and_the_chain_to_auditors_only(
    client, auditor, manager, collector, admin_user, case
):
    from audit.models import PurgeLog
    from audit.services.retention import legal_hold_place

    legal_hold_place(debtor_id=case.debtor_id, actor=admin_user, reason="Subpoena 42")
    PurgeLog.objects.create(
        purged_at=MONDAY_11_NY,
        record_kind="evidence:recording",
        object_id=9,
        jurisdiction="US",
        rule="12 CFR 1006.100(b)",
        expired_at=MONDAY_11_NY,
        original_name="call-9.wav",
    )
    client.force_login(auditor)
    body = client.get(reverse("audit:records")).content.decode()
    assert "Subpoena 42" in body and "call-9.wav" in body and "1006.100" in body
    for user in (manager, collector):
        client.force_login(user)
        assert client.get(reverse("audit:records")).status_code == 404


# Every URL of the app and the test that covers its permissions.
COVERED_URLS = {
    "home": "test_collectors_get_404_on_every_workspace_page",
    "history_export": "test_collectors_get_404_on_every_workspace_page",
    "decision": "test_a_manager_reads_the_own_team_and_gets_404_for_another",
    "decision_replay": "test_a_manager_reads_the_own_team_and_gets_404_for_another",
    "attempt": "test_a_manager_reads_the_own_team_and_gets_404_for_another",
    "debtor_as_of": "test_a_manager_reads_the_own_team_and_gets_404_for_another",
    "debtor_report": "test_a_manager_reads_the_own_team_and_gets_404_for_another",
    "evidence_pack": "test_collectors_cannot_build_packs_and_managers_only_for_their_team",
    "records": "test_the_records_page_shows_holds_purges_and_the_chain_to_auditors_only",
    "case_evidence": "test_auditor_cannot_attach_on_the_page_or_the_api",
    "evidence_download": "test_evidence_of_another_team_is_404",
}


def test_every_audit_url_has_a_permission_test():
    from audit.urls import urlpatterns

    names = {p.name for p in urlpatterns}
    assert names == set(COVERED_URLS), "a URL of the audit app has no permission test"


def test_damaged_stored_inputs_are_reported_not_a_crash(client, auditor, case):
    decision = ComplianceDecisionFactory(
        debtor=case.debtor, allowed=False, inputs={"context": {"at": "not a time"}}
    )
    client.force_login(auditor)
    response = client.get(reverse("audit:decision_replay", args=[decision.pk]))
    assert response.status_code == 200
    assert "cannot be replayed" in response.content.decode()
    page = client.get(reverse("audit:decision", args=[decision.pk]))
    assert page.status_code == 200
