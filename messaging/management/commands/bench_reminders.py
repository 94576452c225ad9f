"""manage.py bench_reminders --count 10000

Creates N reminders due now for seeded debtors (one bench promise per case, reminders spread
over the cases), starts a Celery worker with two processes on the configured broker and a
queue of its own, enqueues them through the dispatch scan and waits until every one is sent,
deferred, cancelled or failed. Prints the elapsed time. Run it on a scratch database (the
reminders, attempts and decisions it creates are kept, as the ledger is append-only).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from collections_app.models import Case, PromiseToPay, Reminder
from collections_app.models.case import OPEN_CASE_STATUSES
from messaging.services.dispatch import reminders_claim_due
from messaging.services.reminders import reminder_channel_choose

PENDING = ("scheduled", "claimed", "sending")


class Command(BaseCommand):
    help = "Benchmark reminder dispatch: N due reminders, a two-process worker, elapsed time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=10000)
        parser.add_argument("--processes", type=int, default=2, help="worker processes (2)")
        parser.add_argument("--cases", type=int, default=2000, help="cases to spread over")
        parser.add_argument(
            "--sink",
            choices=("memory", "configured"),
            default="memory",
            help="memory: messages go to an in-memory outbox (measures the pipeline, not a "
            "provider); configured: the configured SMS/email/WeChat backends",
        )
        parser.add_argument("--timeout", type=int, default=600)

    def handle(self, *args: object, **opts: object) -> None:
        broker = settings.CELERY_BROKER_URL
        if broker.startswith("memory://"):
            raise CommandError("The in-memory broker cannot reach a worker process.")
        count = int(opts["count"])  # type: ignore[call-overload]
        run = uuid.uuid4().hex[:8]
        # Reminders left over by an interrupted earlier run would be swept up by the scan and
        # counted in this one.
        leftovers = Reminder.objects.filter(
            idempotency_key__startswith="bench:", status__in=(*PENDING, "deferred")
        ).update(status="cancelled", last_error="bench run interrupted")
        if leftovers:
            self.stdout.write(f"cancelled {leftovers} reminders left by an earlier run")
        ids = self._create(count=count, cases=int(opts["cases"]), run=run)  # type: ignore[call-overload]
        self.stdout.write(f"created {len(ids)} due reminders (run {run})")
        queue = f"bench-{run}"
        worker = self._worker_start(
            queue=queue,
            processes=int(opts["processes"]),
            sink=str(opts["sink"]),  # type: ignore[call-overload]
        )
        try:
            settings.MESSAGING_QUEUE = queue
            started = time.monotonic()
            reminders_claim_due()
            enqueued = time.monotonic() - started
            deadline = started + int(opts["timeout"])  # type: ignore[call-overload]
            while True:
                left = Reminder.objects.filter(pk__in=ids, status__in=PENDING).count()
                if left == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            elapsed = time.monotonic() - started
        finally:
            Reminder.objects.filter(pk__in=ids, status__in=("scheduled", "claimed")).update(
                status="cancelled", last_error="bench run interrupted"
            )
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        statuses = Counter(
            Reminder.objects.filter(pk__in=ids).values_list("status", flat=True).iterator()
        )
        self.stdout.write(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
        self.stdout.write(f"broker: {broker.split('://')[0]}, processes: {opts['processes']}")
        self.stdout.write(f"enqueued in {enqueued:.1f} s")
        self.stdout.write("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
        if left:
            raise CommandError(f"{left} reminders still pending after {elapsed:.1f} s")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(ids)} reminders dispatched in {elapsed:.1f} s ({len(ids) / elapsed:.0f}/s)"
            )
        )

    def _create(self, *, count: int, cases: int, run: str) -> list[int]:
        now = timezone.now()
        chosen = []
        for case in (
            Case.objects.filter(status__in=OPEN_CASE_STATUSES)
            .select_related("debtor")
            .prefetch_related("debtor__contact_points")
            .order_by("id")[: cases * 3]
        ):
            choice = reminder_channel_choose(debtor=case.debtor, at=now)
            if choice is not None:
                chosen.append((case, *choice))
            if len(chosen) >= cases:
                break
        if not chosen:
            raise CommandError("No open case with a reachable debtor: seed the database first.")
        rows = []
        with transaction.atomic():
            promises = {
                case.pk: PromiseToPay.objects.create(
                    case=case,
                    amount=Decimal("50.00"),
                    currency="USD",
                    due_date=now.date(),
                )
                for case, _channel, _cp in chosen
            }
            for i in range(count):
                case, channel, cp = chosen[i % len(chosen)]
                rows.append(
                    Reminder(
                        case=case,
                        kind="promise_due",
                        channel=channel,
                        contact_point=cp,
                        promise=promises[case.pk],
                        due_at=now - timedelta(seconds=1),
                        language=case.debtor.preferred_language,
                        idempotency_key=f"bench:{run}:{i}",
                    )
                )
            Reminder.objects.bulk_create(rows, batch_size=2000)
        return list(
            Reminder.objects.filter(idempotency_key__startswith=f"bench:{run}:").values_list(
                "pk", flat=True
            )
        )

    def _worker_start(self, *, queue: str, processes: int, sink: str) -> subprocess.Popen:
        env = dict(os.environ)
        env["MESSAGING_QUEUE"] = queue
        env["DJANGO_SETTINGS_MODULE"] = os.environ.get(
            "DJANGO_SETTINGS_MODULE", "config.settings.dev"
        )
        if sink == "memory":
            env.update(
                SMS_BACKEND="locmem",
                WECHAT_BACKEND="locmem",
                MESSAGING_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            )
        log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
        self.stdout.write(f"worker log: {log.name}")
        proc = subprocess.Popen(  # noqa: S603 (our own venv's celery, fixed arguments)
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "--concurrency",
                str(processes),
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "-l",
                "INFO",
                "-n",
                f"{queue}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # The worker is up when it logs "ready".
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CommandError(f"worker exited; see {log.name}")
            if b" ready." in Path(log.name).read_bytes():
                return proc
            time.sleep(0.2)
        raise CommandError(f"worker did not start; see {log.name}")
