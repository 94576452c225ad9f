"""The Celery application. Tasks live in each app's tasks.py and take ids, never objects."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("collections_cms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _gc_freeze(**_kwargs: object) -> None:
    """Move everything loaded at start-up (Django, the apps, the rule packs) out of the
    garbage collector's sight: a batch of reminders allocates many short-lived objects, and
    each collection would otherwise walk the whole start-up heap again (a fifth to a third
    of a batch's CPU)."""
    gc.freeze()
