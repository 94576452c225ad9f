"""Failure drills (ASVS V7.4, V11): the database drops mid-request; the broker is down.

A request whose database connection dies half-way answers a plain error page and leaves
nothing half-written; with Redis unreachable the web keeps answering, reminders wait in the
database and go out once a worker runs again.
"""

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import psycopg2
import pytest
import time_machine
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from collections_app.models import Case, CaseStatusChange, Reminder, ReminderStatus
from tests.factories import ContactPointFactory

# A Tuesday, 15:00 UTC = 10:00 in New York: inside every pack's hours.
NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"
STATUS_CHANGE = {"to_status": "disputed", "reason": "Debtor disputes the balance."}


def assert_clean_error_page(response: Any) -> None:
    assert response.status_code in (500, 503)
    body = response.content.decode()
    for leak in ("Traceback", "OperationalError", "psycopg", "SELECT", "UPDATE", "INSERT"):
        assert leak not in body, f"the error page shows {leak!r}"


@pytest.mark.django_db
def test_connection_lost_after_the_first_write_rolls_everything_back(case, collector):
    """The status change writes its history row first, then the case; the connection "drops"
    before the second write. The service's transaction must undo the first."""
    client = Client(raise_request_exception=False)
    client.force_login(collector)
    before = (case.status, CaseStatusChange.objects.filter(case=case).count())

    def dropped(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    with time_machine.travel(NOON, tick=False), mock.patch.object(Case, "save", dropped):
        response = client.post(reverse("collections:status", args=[case.pk]), STATUS_CHANGE)
    assert_clean_error_page(response)
    case.refresh_from_db()
    assert (case.status, CaseStatusChange.objects.filter(case=case).count()) == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backend_terminated_mid_request_leaves_nothing_behind(case, collector):
    """The real thing: another connection kills the request's PostgreSQL backend between the
    service's two writes (pg_terminate_backend)."""
    client = Client(raise_request_exception=False)
    client.force_login(collector)
    before = CaseStatusChange.objects.filter(case=case).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    original_save = Case.save

    def killed_then_save(self: Case, *args: Any, **kwargs: Any) -> None:
        killer = psycopg2.connect(**params)
        killer.autocommit = True
        with killer.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", [pid])
        killer.close()
        original_save(self, *args, **kwargs)

    kill = mock.patch.object(Case, "save", killed_then_save)
    try:
        with time_machine.travel(NOON, tick=False), kill:
            response = client.post(reverse("collections:status", args=[case.pk]), STATUS_CHANGE)
    finally:
        connection.close()  # the next query opens a fresh connection
    assert_clean_error_page(response)
    case.refresh_from_db()
    assert case.status == "active"
    assert CaseStatusChange.objects.filter(case=case).count() == before
    # The application recovers on the next request.
    assert client.get(reverse("collections:case", args=[case.pk])).status_code == 200


@pytest.fixture
def broker_down():  # type: ignore[no-untyped-def]
    """Point the Celery app at a port where nothing listens, as when Redis is down."""
    from config.celery import app

    def fresh_pools() -> None:
        # Connection and producer pools are built from the URL on first use.
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_url
    app.conf.broker_url = CLOSED_PORT_BROKER
    fresh_pools()
    try:
        yield app
    finally:
        app.conf.broker_url = saved
        fresh_pools()


@pytest.mark.django_db(transaction=True)
def test_web_answers_and_reminders_wait_in_the_database_while_redis_is_down(
    case, collector, broker_down
):
    ContactPointFactory(debtor=case.debtor, kind="email", value="debtor@example.com")
    client = Client(raise_request_exception=False)
    client.force_login(collector)
    with time_machine.travel(NOON, tick=False):
        response = client.post(
            reverse("collections:promise", args=[case.pk]),
            {"amount": "100.00", "due_date": "2026-03-20"},
        )
    assert response.status_code == 302
    waiting = list(Reminder.objects.filter(case=case))
    assert waiting, "the promise scheduled no reminder"
    assert {r.status for r in waiting} == {ReminderStatus.SCHEDULED}

    # The broker is still down when the scan runs: the claim is kept, nothing is lost.
    from kombu.exceptions import OperationalError as BrokerError

    from messaging.services.dispatch import reminder_process, reminders_claim_due

    due = min(r.due_at for r in waiting)
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        with pytest.raises((BrokerError, OSError)):
            reminders_claim_due()
        assert Reminder.objects.filter(case=case, status=ReminderStatus.CLAIMED).exists()

    # Redis is back: a later scan finds the stuck claim, a worker sends it.
    def worker(ids: Any) -> None:
        for reminder_id in ids:
            reminder_process(reminder_id=reminder_id)

    with time_machine.travel(due + timedelta(minutes=30), tick=False):
        reminders_claim_due(enqueue=worker)
    statuses = set(Reminder.objects.filter(case=case).values_list("status", flat=True))
    assert ReminderStatus.SENT in statuses


@pytest.mark.django_db(transaction=True)
def test_an_upload_that_enqueues_after_commit_still_answers_when_redis_is_down(
    manager, team, broker_down, settings, tmp_path
):
    """The import is queued with `delay` in `on_commit`; with the broker unreachable the upload
    must still answer and the batch wait in the database (pending) for the next scan/retry."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from exchange.models import ImportBatch

    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    upload = SimpleUploadedFile("placements.csv", b"account_number\nA-1\n", "text/csv")
    response = client.post(
        reverse("exchange:upload"), {"kind": "placements", "team": team.pk, "file": upload}
    )
    assert response.status_code in (200, 302), response.status_code
    assert ImportBatch.objects.filter(created_by=manager, status="pending").exists()
