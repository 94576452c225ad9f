"""Celery tasks: thin wrappers that take ids and call one service. Every task is safe to run
twice (acks_late: a task whose worker dies is delivered again)."""

from collections import Counter
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from .services.dispatch import reminder_process, reminders_claim_due
from .services.dispatch_batch import reminders_process


@shared_task(acks_late=True, ignore_result=True)
def reminders_dispatch_due() -> int:
    """Every minute (beat): claim due reminders and enqueue them in batches (`reminders_send`)."""
    return reminders_claim_due()


@shared_task(acks_late=True, ignore_result=True)
def reminders_send(reminder_ids: list[int]) -> dict[str, int]:
    """A batch of claimed reminders; returns how many ended in each status (for the log)."""
    statuses = reminders_process(reminder_ids=reminder_ids)
    return dict(Counter(str(status) for status in statuses.values()))


@shared_task(acks_late=True, ignore_result=True)
def reminder_send(reminder_id: int) -> str:
    """One reminder; still registered for tasks enqueued one by one before batches were."""
    return reminder_process(reminder_id=reminder_id)


@worker_ready.connect
def _scan_on_worker_start(**kwargs: Any) -> None:
    """A worker that (re)starts sends what is already due instead of waiting for beat's next
    tick: after a deploy or a broker restart, and for `make run`'s demo reminder."""
    reminders_dispatch_due.apply_async(queue=settings.MESSAGING_QUEUE)
