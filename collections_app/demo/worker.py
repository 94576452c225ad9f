"""Start of a parallel seed worker. Kept apart from the seed's modules: a new process imports
this one before Django is set up, so it may import no model."""

from __future__ import annotations

import django


def worker_setup(database: str) -> None:
    """Django's settings and apps, and the database of the process that started the worker
    (a test database has another name than the settings say)."""
    django.setup()
    from django.db import connection

    connection.settings_dict["NAME"] = database
