"""End to end with a real Redis broker and a real `celery worker` process (not eager mode).

The worker runs with the test settings against the pytest database; rows are committed
(`transaction=True`) so it sees them. The worker's clock cannot be travelled, so each debtor
here has a verified time zone where it is daytime now; the deferral to the next morning is
tested in process with a fixed clock (test_dispatch.py), and here only the sending of a
deferred reminder once it is due again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

from collections_app.models import ContactAttempt, Reminder
from messaging.models import OutboundMessage
from messaging.selectors import reminders_for_case
from messaging.services.dispatch import reminders_claim_due
from tests.factories import RestrictionFactory

from .conftest import promise_reminder, us_case
from .servers import BASE_DIR, REDIS_BROKER, Gateway, SmtpSink, Worker, free_port, gateway_start

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

FINAL = ("sent", "failed", "cancelled")
ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Europe/London",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
)


def daytime_zone() -> str:
    now = timezone.now()
    for name in ZONES:
        if 10 <= now.astimezone(ZoneInfo(name)).hour < 17:
            return name
    raise AssertionError("no daytime zone found")


def wait_for(check: Callable[[], bool], *, timeout: float = 60, every: float = 0.3) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError("timed out waiting")


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    gw = Gateway()
    stop = gateway_start(gw)
    yield gw
    stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port  # type: ignore[attr-defined]
    yield sink
    controller.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, gateway, smtp) -> Iterator[Worker]:  # type: ignore[no-untyped-def]
    db = connection.settings_dict
    queue = f"msgtest-{uuid.uuid4().hex[:10]}"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CONN_MAX_AGE": "0",
        "MESSAGING_QUEUE": queue,
        "CELERY_BROKER_URL": REDIS_BROKER,
        "TEST_CELERY_BROKER_URL": REDIS_BROKER,
        "SMS_BACKEND": "http",
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_TOKEN": "gw-token",
        "MESSAGING_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),  # type: ignore[attr-defined]
        "MESSAGING_GATEWAY_BACKOFF": "0.05",
        "MESSAGING_GATEWAY_RETRIES": "3",
        "MESSAGING_GATEWAY_TIMEOUT": "5",
        "MESSAGING_STUCK_AFTER_SECONDS": "2",
    }
    log_dir = BASE_DIR / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    w = Worker(queue=queue, env=env, log_path=Path(log_dir / f"{queue}.log"))
    w.start()
    yield w
    w.stop()


@pytest.fixture
def broker(worker, settings) -> Iterator[Worker]:  # type: ignore[no-untyped-def]
    """Point this process's Celery app at the worker's broker and queue."""
    from config.celery import app

    old = app.conf.broker_url
    settings.MESSAGING_QUEUE = worker.queue
    settings.MESSAGING_STUCK_AFTER_SECONDS = 2
    # The autouse fixture uses the in-memory outbox; here the worker's backends are real.
    settings.SMS_BACKEND = "http"

    def switch(url: str) -> None:
        # Forget the pools bound to the other broker (kombu keeps them per connection).
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    switch(REDIS_BROKER)
    if worker.proc is None or worker.proc.poll() is not None:
        worker.start()
    yield worker
    switch(old)


@pytest.fixture(autouse=True)
def _gateway_reset(gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.plan.clear()
    gateway.requests.clear()
    gateway.delivered.clear()
    gateway.delay = 0.0


@pytest.fixture
def case(team, collector):  # type: ignore[no-untyped-def]
    return us_case(
        team=team,
        collector=collector,
        consent_at=timezone.now() - timedelta(days=1),
        timezone=daytime_zone(),
    )


def dispatch_until_done(ids: list[int], *, timeout: float = 60) -> None:
    def done() -> bool:
        reminders_claim_due()
        return Reminder.objects.filter(pk__in=ids, status__in=FINAL).count() == len(ids)

    wait_for(done, timeout=timeout, every=1.0)


def test_due_reminders_are_sent_once_by_sms_and_email(broker, gateway, smtp, case):
    now = timezone.now()
    sms = [promise_reminder(case, due_at=now - timedelta(minutes=1)) for _ in range(3)]
    mail = promise_reminder(case, due_at=now - timedelta(minutes=1), channel="email")
    later = promise_reminder(case, due_at=now + timedelta(hours=2))
    ids = [r.pk for r in [*sms, mail]]

    assert reminders_claim_due() == 4
    wait_for(lambda: Reminder.objects.filter(pk__in=ids, status__in=FINAL).count() == 4)
    # A second scan finds nothing to do and nothing is sent again.
    assert reminders_claim_due() == 0
    time.sleep(1)

    assert set(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"sent"}
    assert Reminder.objects.get(pk=later.pk).status == "scheduled"
    assert len(gateway.requests) == 3
    assert {r["to"] for r in gateway.requests} == {"+15185550123"}
    assert all(r["auth"] == "Bearer gw-token" for r in gateway.requests)
    assert all(r["body"].endswith("Reply STOP to opt out.") for r in gateway.requests)
    (email,) = smtp.messages
    assert email["to"] == ["pat@example.org"]
    assert "reply to this email with the word STOP" in email["data"]
    assert ContactAttempt.objects.filter(source="reminder", outcome="sent").count() == 4
    sms_reminder = Reminder.objects.get(pk=sms[0].pk)
    assert sms_reminder.provider_message_id.startswith("gw-")


def test_a_deferred_reminder_due_again_is_sent(broker, gateway, case):
    reminder = promise_reminder(case, due_at=timezone.now() - timedelta(seconds=5))
    Reminder.objects.filter(pk=reminder.pk).update(
        status="deferred",
        reasons=[{"code": "OUTSIDE_CONTACT_HOURS", "rule": "", "message": ""}],
    )

    dispatch_until_done([reminder.pk])

    assert Reminder.objects.get(pk=reminder.pk).status == "sent"
    assert len(gateway.requests) == 1


def test_a_ceased_debtors_reminder_is_cancelled_by_the_worker(broker, gateway, case):
    RestrictionFactory(
        debtor=case.debtor,
        kind="cease_communication",
        effective_at=timezone.now() - timedelta(days=1),
    )
    reminder = promise_reminder(case, due_at=timezone.now() - timedelta(minutes=1))

    dispatch_until_done([reminder.pk])

    reminder.refresh_from_db()
    assert reminder.status == "cancelled"
    assert "CEASE_COMMUNICATION" in {r["code"] for r in reminder.reasons}
    assert gateway.requests == []
    html = render_to_string(
        "messaging/_case_reminders.html", {"reminders": reminders_for_case(case_id=case.pk)}
    )
    assert "CEASE_COMMUNICATION" in html


def test_a_gateway_500_is_retried_until_accepted(broker, gateway, case):
    gateway.plan[:] = [500, 500]
    reminder = promise_reminder(case, due_at=timezone.now() - timedelta(minutes=1))

    dispatch_until_done([reminder.pk])

    assert Reminder.objects.get(pk=reminder.pk).status == "sent"
    assert [r["code"] for r in gateway.requests] == [500, 500, 200]
    assert len({r["key"] for r in gateway.requests}) == 1


def test_a_gateway_400_is_failed_without_retry_and_shown(broker, gateway, case, client, manager):
    gateway.plan[:] = [400]
    reminder = promise_reminder(case, due_at=timezone.now() - timedelta(minutes=1))

    dispatch_until_done([reminder.pk])

    reminder.refresh_from_db()
    assert reminder.status == "failed"
    assert "HTTP 400" in reminder.last_error
    assert len(gateway.requests) == 1
    assert ContactAttempt.objects.get().outcome == "failed"
    html = render_to_string(
        "messaging/_case_reminders.html", {"reminders": reminders_for_case(case_id=case.pk)}
    )
    assert "HTTP 400" in html
    client.force_login(manager)
    page = client.get("/messaging/reminders/").content.decode()
    assert "HTTP 400" in page


def test_killing_the_worker_mid_batch_still_sends_every_reminder_exactly_once(
    broker, gateway, case
):
    gateway.delay = 0.1
    now = timezone.now()
    reminders = [promise_reminder(case, due_at=now - timedelta(minutes=1)) for _ in range(30)]
    ids = [r.pk for r in reminders]

    reminders_claim_due()
    wait_for(lambda: len(gateway.delivered) >= 5, timeout=60, every=0.05)
    broker.kill()
    sent_before_kill = len(gateway.delivered)
    assert sent_before_kill < 30, "the batch finished before the kill; nothing was tested"

    broker.start()
    dispatch_until_done(ids, timeout=120)

    statuses = list(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == ["sent"] * 30
    keys = set(
        OutboundMessage.objects.filter(reminder_id__in=ids).values_list(
            "idempotency_key", flat=True
        )
    )
    assert len(keys) == 30
    # Every message reached the provider exactly once (a resend after the crash carries the
    # same idempotency key and is acknowledged without a second delivery).
    assert set(gateway.delivered) == keys
    assert all(gateway.delivered_count(key) == 1 for key in keys)
    assert ContactAttempt.objects.filter(source="reminder").count() == 30
