"""Uploaded files hold personal data (names, phones, national ids): once a batch is finished
and old enough, its file is deleted; the batch, its counts and its row errors stay."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from exchange.models import FINISHED_STATUSES, ImportBatch

DEFAULT_KEEP = timedelta(days=30)


def batch_files_purge(*, older_than: timedelta = DEFAULT_KEEP) -> int:
    """Delete the files of batches finished before now - older_than; how many were deleted."""
    cutoff = timezone.now() - older_than
    purged = 0
    batches = (
        ImportBatch.objects.filter(status__in=FINISHED_STATUSES, finished_at__lt=cutoff)
        .exclude(file="")
        .only("id", "file")
    )
    for batch in batches.iterator(chunk_size=500):
        batch.file.delete(save=False)
        # Compare-and-set on the name: a second purge running beside this one counts nothing.
        purged += ImportBatch.objects.filter(pk=batch.pk).exclude(file="").update(file="")
    return purged
