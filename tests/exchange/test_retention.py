"""Uploaded files are deleted once their batch is finished and 30 days old."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from exchange.services.retention import batch_files_purge

from .conftest import dict_csv, run_import
from .test_pages import PLACEMENT

pytestmark = [pytest.mark.django_db]


def test_an_old_finished_batch_loses_its_file_and_keeps_its_record(manager, team):
    batch = run_import(kind="placements", content=dict_csv([PLACEMENT]), actor=manager, team=team)
    path = Path(batch.file.path)
    assert path.exists()
    assert batch_files_purge() == 0
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        assert batch_files_purge() == 1
        assert batch_files_purge() == 0
    batch.refresh_from_db()
    assert not path.exists()
    assert (batch.file.name, batch.status, batch.summary["debts_created"]) == ("", "succeeded", 1)
