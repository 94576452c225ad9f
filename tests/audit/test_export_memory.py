"""The CSV export of a very long history keeps memory flat (server-side cursor, streaming)."""

import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from collections_app.models import ContactAttempt
from tests.factories import ContactPointFactory

ROWS = 200_000
BATCH = 10_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.slow
@pytest.mark.postgres
def test_exporting_200k_attempts_keeps_memory_flat(client, auditor, case, collector):
    cp = ContactPointFactory(debtor=case.debtor)
    for start in range(0, ROWS, BATCH):
        ContactAttempt.objects.bulk_create(
            ContactAttempt(
                case=case,
                debtor_id=case.debtor_id,
                contact_point=cp,
                channel="call",
                occurred_at=T0 + timedelta(minutes=i),
                outcome="no_answer",
                status="completed",
                source="import",
                actor=collector,
            )
            for i in range(start, start + BATCH)
        )
    client.force_login(auditor)
    # Warm up: the first request imports modules (views, reportlab...), which is not the export.
    warm = client.get(reverse("audit:history_export"), {"debtor": "nobody"})
    b"".join(warm.streaming_content)

    tracemalloc.start()
    try:
        response = client.get(reverse("audit:history_export"))
        lines = 0
        size = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"CSV export of {ROWS} rows: {size / 1e6:.1f} MB streamed, peak {peak / 1e6:.1f} MB")
    assert lines == ROWS + 1  # the header and every row
    assert size > 20 * 1024 * 1024  # the export itself is larger than...
    assert peak < 16 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"  # ...what it ever held
