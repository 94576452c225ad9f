"""A worker killed in the middle of an import: the database is as before; the batch is taken
again once stale, and then imports in full."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from collections_app.models import Case, ContactPoint, Debt, Debtor
from exchange.models import ImportBatch
from exchange.services.batches import CHECK_BESIDE_APPLY_FROM, batch_run
from exchange.services.samples import placement_rows_generate, rows_to_csv

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def counts() -> tuple[int, int, int, int, int]:
    return (
        Debtor.objects.count(),
        Debt.objects.count(),
        Case.objects.count(),
        ContactPoint.objects.count(),
        Debt.history.count(),
    )


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.parametrize(
    "rows",
    [6000, CHECK_BESIDE_APPLY_FROM + 2000],
    ids=["checked-first", "checked-beside-the-writes"],
)
def test_sigkill_while_importing_leaves_nothing_and_the_batch_can_be_retaken(
    manager, team, tmp_path, settings, rows
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "placements.csv"
    path.write_bytes(rows_to_csv(placement_rows_generate(rows=rows, seed=5)))
    before = counts()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "import_placements",
            str(path),
            "--team",
            team.name,
            "--as",
            manager.username,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        batch = None
        # Wait until the job is inside its transaction and has written rows (progress > 0).
        while time.monotonic() < deadline:
            batch = ImportBatch.objects.first()
            if batch and batch.status == "importing" and batch.processed_rows > 0:
                break
            assert worker.poll() is None, "the import ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the import never reached the write phase")
        checker = child_pids(worker.pid)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        # A process checking rows for the killed job ends with it.
        deadline = time.monotonic() + 30
        while checker and time.monotonic() < deadline:
            checker = [p for p in checker if Path(f"/proc/{p}").exists()]
            time.sleep(0.1)
        assert checker == []
    finally:
        if worker.poll() is None:
            worker.kill()
    assert counts() == before
    batch.refresh_from_db()
    assert batch.status == "importing"
    assert batch_run(batch_id=batch.pk) is None  # not stale yet: nobody takes it twice
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "succeeded"
    assert Debt.objects.count() == before[1] + rows
