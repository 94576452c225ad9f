import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)


@shared_task
def heartbeat() -> str:
    """Shows that beat schedules and a worker runs tasks."""
    now = timezone.now().isoformat()
    cache.set("celery-heartbeat", now, 300)
    log.info("heartbeat %s", now)
    return now
