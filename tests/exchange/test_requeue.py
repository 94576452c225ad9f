from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from exchange.services.batches import batch_create, batches_requeue


def _upload(manager, team):  # type: ignore[no-untyped-def]
    return batch_create(
        kind="placements",
        upload=SimpleUploadedFile("p.csv", b"account_number\nA-1\n", "text/csv"),
        actor=manager,
        team=team,
        run=False,
    )


@pytest.mark.django_db
def test_a_pending_batch_whose_message_was_lost_is_enqueued_again(manager, team):
    batch = _upload(manager, team)
    with mock.patch("exchange.tasks.import_run.delay") as delay:
        assert batches_requeue() == []  # too fresh: its own message may still be on the way
        with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
            assert batches_requeue() == [batch.pk]
    delay.assert_called_once_with(batch.pk)


@pytest.mark.django_db
def test_finished_batches_are_not_enqueued_again(manager, team):
    batch = _upload(manager, team)
    batch.status = "succeeded"
    batch.save(update_fields=["status"])
    with (
        time_machine.travel(timezone.now() + timedelta(hours=1), tick=False),
        mock.patch("exchange.tasks.import_run.delay") as delay,
    ):
        assert batches_requeue() == []
    delay.assert_not_called()
