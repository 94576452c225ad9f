"""Celery jobs of the exchange app: thin, they take ids and call one service."""

from celery import shared_task

from exchange.services.batches import batch_run


@shared_task(name="exchange.tasks.import_run")
def import_run(batch_id: int) -> None:
    """Run one import batch; a second delivery of the same id does nothing (the claim)."""
    batch_run(batch_id=batch_id)


@shared_task(name="exchange.tasks.import_requeue")
def import_requeue() -> int:
    """Every few minutes: hand lost or stale batches to a worker again."""
    from exchange.services.batches import batches_requeue

    return len(batches_requeue())


@shared_task(name="exchange.tasks.import_files_purge")
def import_files_purge() -> int:
    """Daily: delete uploaded files of batches finished more than 30 days ago."""
    from exchange.services.retention import batch_files_purge

    return batch_files_purge()
