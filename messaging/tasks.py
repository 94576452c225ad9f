"""Celery tasks: thin wrappers that take ids and call one service. Every task is safe to run
twice (acks_late: a task whose worker dies is delivered again)."""

from celery import shared_task

from .services.dispatch import reminder_process, reminders_claim_due


@shared_task(acks_late=True, ignore_result=True)
def reminders_dispatch_due() -> int:
    """Every minute (beat): claim due reminders and enqueue one `reminder_send` per row."""
    return reminders_claim_due()


@shared_task(acks_late=True, ignore_result=True)
def reminder_send(reminder_id: int) -> str:
    return reminder_process(reminder_id=reminder_id)
