"""The shared upload check refuses oversized, mislabelled and disguised files."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.validators import validate_upload

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
MB = 1024 * 1024


def test_a_small_pdf_is_accepted_and_the_position_kept():
    upload = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    validate_upload(upload, ["pdf"], MB)
    assert upload.read() == PDF


def test_a_csv_in_utf8_is_accepted():
    upload = SimpleUploadedFile("rows.csv", "name,城市\nA,北京\n".encode(), content_type="text/csv")
    validate_upload(upload, ["csv", "xlsx"], MB)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "code"),
    [
        ("big.pdf", PDF + b"0" * 2048, "application/pdf", "file_too_large"),
        ("empty.pdf", b"", "application/pdf", "file_empty"),
        ("script.exe", b"MZ\x90\x00", "application/octet-stream", "file_type"),
        ("page.html", b"<html>", "text/html", "file_type"),
        ("fake.pdf", b"<script>alert(1)</script>", "application/pdf", "file_content_mismatch"),
        ("fake.pdf", PDF, "text/html", "file_type_mismatch"),
        ("rows.csv", b"a,b\x00c", "text/csv", "file_content_mismatch"),
        ("rows.csv", b"caf\xe9,1\nabc,2\n", "text/csv", "file_encoding"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(name, content, content_type, code):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    with pytest.raises(ValidationError) as exc:
        validate_upload(upload, ["pdf", "csv"], 1024)
    assert exc.value.code == code
