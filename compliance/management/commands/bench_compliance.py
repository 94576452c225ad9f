"""`manage.py bench_compliance [--decisions N] [--cases M] [--batch B]`: how fast is the gate on
this database? Prints p50/p99/max of in-process gate decisions (`outreach_reserve` with
`dry_run=True`, each in its own transaction, all rolled back) over N random debtors' phones,
and the throughput of batch eligibility (cases per second) over M random cases."""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from collections_app.models import Case, ContactPoint
from compliance.models import EligibilityAnswer
from compliance.selectors import eligibility_for_cases
from compliance.services.eligibility import eligibility_answers
from compliance.services.outreach import outreach_reserve
from perf.sections import sample_ids

PHONE_KINDS = ("mobile", "landline", "work_phone")


class _Rollback(Exception):
    """Raised to undo the benchmark's dry-run decisions."""


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Benchmark gate decisions (p50/p99) and batch eligibility (cases/s) on this database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--decisions", type=int, default=200, help="debtors to decide for")
        parser.add_argument("--cases", type=int, default=2000, help="cases for eligibility")
        parser.add_argument("--batch", type=int, default=500, help="eligibility batch size")
        parser.add_argument("--channel", default="call")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **opts: Any) -> None:
        rng = random.Random(opts["seed"])
        now = timezone.now()
        cp_ids = sample_ids(
            ContactPoint, opts["decisions"], rng, owner="debtor", kind__in=PHONE_KINDS
        )
        timings: list[float] = []
        allowed = 0
        for cp in ContactPoint.objects.filter(pk__in=cp_ids):
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    result = outreach_reserve(
                        contact_point=cp,
                        channel=opts["channel"],
                        actor=None,
                        at=now,
                        actor_label="bench_compliance",
                        dry_run=True,
                    )
                    allowed += result.allowed
                    raise _Rollback
            except _Rollback:
                pass
            timings.append((time.perf_counter() - started) * 1000)
        if timings:
            self.stdout.write(
                f"gate decisions: n={len(timings)} allowed={allowed} "
                f"p50={statistics.median(timings):.2f}ms p99={_pct(timings, 99):.2f}ms "
                f"max={max(timings):.2f}ms"
            )
        else:
            self.stdout.write("gate decisions: no debtor phone in this database")

        case_ids = sample_ids(Case, opts["cases"], rng)
        EligibilityAnswer.objects.filter(case_id__in=case_ids).delete()  # a first ask
        if not case_ids:
            self.stdout.write("eligibility: no case in this database")
            return
        batch = max(1, opts["batch"])
        started = time.perf_counter()
        contactable = 0
        for i in range(0, len(case_ids), batch):
            results = eligibility_for_cases(
                case_ids=case_ids[i : i + batch], channel=opts["channel"], at=now
            )
            contactable += sum(r.allowed for r in results.values())
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"eligibility: cases={len(case_ids)} batch={batch} contactable={contactable} "
            f"time={elapsed:.2f}s throughput={len(case_ids) / elapsed:.0f} cases/s"
        )
        # A campaign list asked twice: the first ask stores each answer, the second reads
        # the ones that still hold (compliance.services.eligibility).
        for label in ("first ask", "asked again"):
            started = time.perf_counter()
            read = 0
            for i in range(0, len(case_ids), batch):
                _answers, stats = eligibility_answers(
                    case_ids=case_ids[i : i + batch], channels=[opts["channel"]], at=now, now=now
                )
                read += stats.read
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"eligibility, {label}: cases={len(case_ids)} read_stored={read} "
                f"time={elapsed:.2f}s throughput={len(case_ids) / elapsed:.0f} cases/s"
            )
        EligibilityAnswer.objects.filter(case_id__in=case_ids).delete()  # nothing left behind
