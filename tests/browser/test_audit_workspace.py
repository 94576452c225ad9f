"""The auditor's day in the browser: search a debtor's history, open a blocked try's decision
and replay it, view the debtor as of an earlier date, export CSV, download an evidence pack."""

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile

from audit.models import Evidence
from compliance.services.outreach import outreach_reserve
from tests.factories import (
    CaseFactory,
    ContactAttemptFactory,
    ContactPointFactory,
    DebtorFactory,
    RestrictionFactory,
)

from .conftest import login, screenshot

MONDAY_11_NY = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n% cease letter\n%%EOF\n"


@pytest.fixture
def audit_data(settings, tmp_path, auditor, collector, team):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(MONDAY_11_NY - timedelta(days=60), tick=False):
        debtor = DebtorFactory(full_name="Patricia Lowell", city="New York", region="NY")
        case = CaseFactory(debtor=debtor, team=team, assigned_to=collector)
        cp = ContactPointFactory(debtor=debtor, value="+12125550123")
    with time_machine.travel(MONDAY_11_NY - timedelta(days=30), tick=False):
        debtor.full_name = "Patricia Lowell-Hart"
        debtor.address = "22 Hudson St"
        debtor.save()
    with time_machine.travel(MONDAY_11_NY, tick=False):
        allowed = outreach_reserve(contact_point=cp, channel="call", actor=collector, case=case)
    with time_machine.travel(MONDAY_11_NY + timedelta(hours=2), tick=False):
        RestrictionFactory(debtor=debtor, kind="cease_communication", source_document="Letter 7")
        blocked = outreach_reserve(contact_point=cp, channel="call", actor=collector, case=case)
        Evidence.objects.create(
            case=case,
            kind="letter",
            file=ContentFile(PDF, name="cease-letter.pdf"),
            original_name="cease-letter.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            uploaded_by=collector,
        )
    cn_debtor = DebtorFactory(full_name="王小明", country="CN", region="GD", city="深圳")
    ContactAttemptFactory(
        case=CaseFactory(debtor=cn_debtor, team=team),
        occurred_at=MONDAY_11_NY,
        flagged=True,
        flag_reasons=[{"code": "OUTSIDE_CONTACT_HOURS"}],
    )
    return {"debtor": debtor, "case": case, "allowed": allowed, "blocked": blocked}


def test_auditor_works_through_the_audit_workspace(page, audit_data):
    debtor, case = audit_data["debtor"], audit_data["case"]
    login(page, "audrey")

    page.goto(f"{page.base_url}/audit/")
    page.fill("#id_debtor", "Lowell")
    page.click("#history-search button[type=submit]")
    page.wait_for_selector("#history-results")
    assert page.locator("tr.history-row").count() == 2
    assert page.locator('tr.history-row[data-kind="blocked"]').count() == 1
    screenshot(page, "audit_history_search")

    with page.expect_download() as csv_download:
        page.click("#export-csv")
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("Kind,")
    assert text.count("Patricia Lowell-Hart") == 2

    page.click('tr.history-row[data-kind="blocked"] >> text=Decision')
    page.wait_for_selector("#decision-words")
    assert "CEASE_COMMUNICATION" in page.inner_text("#decision-words")
    assert "America/New_York" in page.inner_text("#decision-words")
    page.click("#replay-button")
    page.wait_for_selector("#replay-result")
    assert "the same result" in page.inner_text("#replay-result")
    screenshot(page, "audit_decision_replay")

    page.goto(f"{page.base_url}/audit/debtors/{debtor.pk}/as-of/")
    earlier = (MONDAY_11_NY - timedelta(days=45)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#id_at", earlier)
    page.click("#as-of-form button[type=submit]")
    page.wait_for_selector("#as-of-result")
    assert page.inner_text("#as-of-name") == "Patricia Lowell"
    screenshot(page, "audit_debtor_as_of")

    page.goto(f"{page.base_url}/audit/cases/{case.pk}/evidence/")
    assert page.locator("#evidence-upload").count() == 0  # auditors read only
    screenshot(page, "audit_case_evidence")
    with page.expect_download() as pack_download:
        page.click("#evidence-pack")
    with open(pack_download.value.path(), "rb") as fh:
        archive = zipfile.ZipFile(io.BytesIO(fh.read()))
    manifest = json.loads(archive.read("manifest.json"))
    assert {f["path"] for f in manifest["files"]} >= {"history.csv", "decisions.json"}
    assert any(p.endswith("cease-letter.pdf") for p in archive.namelist())

    page.goto(f"{page.base_url}/audit/")
    page.click("text=Retention, legal holds and tamper evidence")
    page.wait_for_selector("#chain-status")
    assert "12 CFR 1006.100" in page.inner_text("main")
    screenshot(page, "audit_records")


def test_the_history_in_chinese_shows_chinese_names(page, audit_data):
    login(page, "audrey")
    page.goto(f"{page.base_url}/audit/?debtor=王")
    page.wait_for_selector("#history-results")
    assert page.locator("tr.history-row").count() == 1
    assert "王小明" in page.inner_text("#history-results")
    assert "OUTSIDE_CONTACT_HOURS" in page.inner_text("#history-results")
    screenshot(page, "audit_history_chinese_name")
