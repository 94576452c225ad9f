"""Helpers for the exchange tests: files built in memory, batches run in the test process."""

import csv
import io
import mimetypes

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.services.batches import batch_create, batch_run


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def dict_csv(rows: list[dict[str, str]]) -> bytes:
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    return csv_bytes(header, [[r.get(h, "") for h in header] for r in rows])


def run_import(*, kind, content: bytes, actor, team=None, valid_only=False, name="file.csv"):  # type: ignore[no-untyped-def]
    batch = batch_create(
        kind=kind,
        upload=SimpleUploadedFile(name, content, mimetypes.guess_type(name)[0]),
        actor=actor,
        team=team,
        valid_only=valid_only,
        run=False,
    )
    batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch
