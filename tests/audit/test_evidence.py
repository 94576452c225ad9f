"""Evidence: who may attach, limits on size and type, the hash check on download, the pack."""

import hashlib
import io
import json
import logging
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import Evidence
from tests.conftest import api_as
from tests.factories import ComplianceDecisionFactory, ContactAttemptFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64


def _pdf(name: str = "letter.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _upload(client, case, **data):  # type: ignore[no-untyped-def]
    payload = {"kind": "letter", "file": _pdf(), "description": "Validation notice"}
    payload.update(data)
    return client.post(reverse("audit:case_evidence", args=[case.pk]), payload)


def test_collector_attaches_a_letter_and_its_hash_is_recorded(client, collector, case):
    client.force_login(collector)
    response = _upload(client, case)
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (evidence.size, evidence.content_type, evidence.uploaded_by) == (
        len(PDF),
        "application/pdf",
        collector,
    )


def test_a_recording_is_attached_to_an_attempt_of_the_case(client, collector, case):
    attempt = ContactAttemptFactory(case=case)
    client.force_login(collector)
    recording = SimpleUploadedFile("call.wav", WAV, content_type="audio/wav")
    response = _upload(client, case, kind="recording", file=recording, attempt=attempt.pk)
    assert response.status_code == 302
    assert Evidence.objects.get().attempt == attempt


def test_auditor_cannot_attach_on_the_page_or_the_api(client, auditor, case):
    client.force_login(auditor)
    assert _upload(client, case).status_code == 403
    response = api_as(auditor).post(
        "/api/v1/audit/evidence/",
        {"case": case.pk, "kind": "letter", "file": _pdf()},
        format="multipart",
    )
    assert response.status_code == 403
    assert not Evidence.objects.exists()


def test_another_teams_case_is_404_for_uploads(client, other_collector, case):
    client.force_login(other_collector)
    assert _upload(client, case).status_code == 404
    response = api_as(other_collector).post(
        "/api/v1/audit/evidence/",
        {"case": case.pk, "kind": "letter", "file": _pdf()},
        format="multipart",
    )
    assert response.status_code == 404
    assert not Evidence.objects.exists()


def test_api_upload_by_the_manager(manager, case):
    response = api_as(manager).post(
        "/api/v1/audit/evidence/",
        {"case": case.pk, "kind": "document", "file": _pdf("id.pdf")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == hashlib.sha256(PDF).hexdigest()


@pytest.mark.parametrize(
    ("kind", "name", "content", "message"),
    [
        ("letter", "letter.exe", b"MZ\x90\x00", "not accepted"),
        ("letter", "letter.pdf", b"<html>not a pdf</html>", "does not match its type"),
        ("recording", "letter.pdf", PDF, "not accepted"),
        ("letter", "empty.pdf", b"", "empty"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    client, collector, case, kind, name, content, message
):
    client.force_login(collector)
    response = _upload(client, case, kind=kind, file=SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, collector, case, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    client.force_login(collector)
    big = PDF + b"0" * (1024 * 1024)
    response = _upload(client, case, file=_pdf(content=big))
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not Evidence.objects.exists()


def test_an_attempt_of_another_case_is_refused(client, collector, case, other_case):
    foreign = ContactAttemptFactory(case=other_case)
    client.force_login(collector)
    # Not among the form's choices: the form refuses it before the service sees it.
    response = _upload(client, case, attempt=foreign.pk)
    assert response.status_code == 400
    assert not Evidence.objects.exists()


@pytest.fixture
def letter(client, collector, case):
    client.force_login(collector)
    _upload(client, case)
    client.logout()
    return Evidence.objects.get()


def test_download_returns_the_verified_file(client, auditor, letter):
    client.force_login(auditor)
    response = client.get(reverse("audit:evidence_download", args=[letter.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_a_file_changed_on_disk_is_refused_and_logged(client, auditor, letter, caplog):
    with open(letter.file.path, "ab") as fh:
        fh.write(b"% appended later\n")
    client.force_login(auditor)
    with caplog.at_level(logging.ERROR, logger="audit.evidence"):
        response = client.get(reverse("audit:evidence_download", args=[letter.pk]))
    assert response.status_code == 409
    assert "no longer matches" in response.content.decode()
    assert f"evidence {letter.pk} hash mismatch" in caplog.text


def test_evidence_of_another_team_is_404(client, other_collector, letter):
    client.force_login(other_collector)
    response = client.get(reverse("audit:evidence_download", args=[letter.pk]))
    assert response.status_code == 404


def test_the_evidence_pack_holds_history_decisions_documents_and_a_manifest(
    client, auditor, case, letter
):
    decision = ComplianceDecisionFactory(debtor=case.debtor, inputs={"context": {}})
    ContactAttemptFactory(case=case, decision=decision, notes='=HYPERLINK("x")')
    client.force_login(auditor)
    response = client.get(reverse("audit:evidence_pack", args=[case.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    document = f"documents/{letter.pk}-letter.pdf"
    assert {"history.csv", "decisions.json", "manifest.json", document} <= names
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    assert manifest["evidence"][0]["sha256_recorded"] == letter.sha256
    decisions = json.loads(archive.read("decisions.json"))
    assert [d["id"] for d in decisions] == [decision.pk]
    assert case.debtor.full_name in archive.read("history.csv").decode("utf-8")


def test_the_pack_is_refused_when_a_document_was_changed(client, auditor, case, letter):
    with open(letter.file.path, "wb") as fh:
        fh.write(b"%PDF-1.4 forged")
    client.force_login(auditor)
    response = client.get(reverse("audit:evidence_pack", args=[case.pk]))
    assert response.status_code == 409


def test_collectors_cannot_build_packs_and_managers_only_for_their_team(
    client, collector, other_manager, case
):
    client.force_login(collector)
    assert client.get(reverse("audit:evidence_pack", args=[case.pk])).status_code == 404
    client.force_login(other_manager)
    assert client.get(reverse("audit:evidence_pack", args=[case.pk])).status_code == 404
