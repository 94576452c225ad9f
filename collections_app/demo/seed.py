"""`demo_seed`: the whole demo, in chunks, idempotent."""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from collections_app.models import Case, Debt
from compliance.engine import evaluate

from .context import DebtorContext
from .generate import CaseMaker
from .history import HistoryMaker, Planned
from .indexes import expected_indexes, indexes_build, indexes_set_aside
from .people import demo_staff_ensure
from .rows import MODELS, IdAllocator, Rows, id_bases
from .spec import CaseSpec, Staff, money
from .work import WorkMaker
from .worker import worker_setup
from .writer import CopyWriter, OrmWriter

DEMO_MARKER = "DEMO-"  # every demo debt's account number starts with it
EVALUATE_UP_TO = 5000  # cases: above this the history is trusted by construction
DEFAULT_CHUNK = 2000


@dataclass
class SeedResult:
    seeded: bool
    message: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def demo_data_exists() -> bool:
    return Debt.objects.filter(account_number__startswith=DEMO_MARKER).exists()


@dataclass(frozen=True)
class Job:
    """One chunk of cases: everything a (possibly separate) process needs to make and write it."""

    seed: int
    index: int
    size: int
    cases: int
    now: datetime
    staff: Staff
    bases: dict[str, int]
    evaluate_each: bool
    method: str


def chunk_make(job: Job) -> Rows:
    """The rows of one chunk. Its random generator and id block depend only on the seed and
    the chunk's index, so chunks can be made in any order or in parallel."""
    rng = random.Random(f"demo:{job.seed}:{job.index}")
    ids = IdAllocator(job.bases, chunk_index=job.index, chunk_size=job.size)
    case_maker = CaseMaker(rng=rng, now=job.now, ids=ids, staff=job.staff, seed=job.seed)
    history = HistoryMaker(rng=rng, ids=ids, evaluate_each=job.evaluate_each, now=job.now)
    work = WorkMaker(rng=rng, now=job.now, ids=ids, staff=job.staff)
    rows = Rows()
    specs: list[CaseSpec] = []
    first = job.index * job.size
    for index in range(first, min(job.cases, first + job.size)):
        spec = case_maker.build(rows, index)
        attempts = history.write(rows, spec, history.plan(spec))
        work.build(rows, spec, attempts)
        specs.append(spec)
    if job.index == 0:
        for channel in ("sms", "email"):
            reminder_due_now(rows, specs, channel=channel, now=job.now, makers=(case_maker, work))
    return rows


def chunk_seed(job: Job) -> dict[str, int]:
    """Make one chunk and write it in one transaction; returns the row counts."""
    rows = chunk_make(job)
    writer = CopyWriter() if job.method == "copy" else OrmWriter()
    with transaction.atomic():
        writer.write(rows)
    return {label: len(data) for label, data in rows.tables.items()}


def demo_seed(
    *,
    cases: int = 200,
    seed: int = 2026,
    now: datetime | None = None,
    if_empty: bool = False,
    method: str = "auto",
    evaluate_each: bool | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Create the demo teams, users and `cases` cases with their whole story.

    Idempotent: users and teams that exist are kept as they are, and when demo debts exist
    (account numbers starting with DEMO-) no case data is added. `if_empty` does nothing at all
    when any case exists. `method`: "orm" (bulk_create, with history rows), "copy" (PostgreSQL
    COPY) or "auto" (COPY on PostgreSQL above EVALUATE_UP_TO cases, else the ORM). `workers`
    processes make and COPY chunks in parallel (PostgreSQL only). The COPY path sets the
    secondary indexes of the seeded tables aside and builds them at the end (`indexes.py`). The
    same seed, clock, cases and chunk size give the same data.
    """
    started = clock.monotonic()
    say = progress or (lambda _msg: None)
    if cases < 1 or chunk_size < 1 or workers < 1:
        raise ValueError("cases, chunk size and workers must be at least 1")
    if connection.vendor == "postgresql":
        # An earlier COPY seed stopped the hard way may have left indexes out: any run, even
        # one that seeds nothing, builds them.
        indexes_build(expected_indexes())
    if if_empty and Case.objects.exists():
        return SeedResult(False, "Cases exist already: nothing seeded.")
    staff, staff_created = demo_staff_ensure()
    if demo_data_exists():
        return SeedResult(
            False,
            f"Demo data exists already: nothing seeded ({staff_created} users/teams added).",
        )
    now = (now or timezone.now()).replace(microsecond=0)
    evaluate_each = cases <= EVALUATE_UP_TO if evaluate_each is None else evaluate_each
    if method == "auto":
        method = "copy" if connection.vendor == "postgresql" and cases > EVALUATE_UP_TO else "orm"
    if method == "copy" and connection.vendor != "postgresql":
        raise ValueError("COPY needs PostgreSQL")
    if workers > 1 and method != "copy":
        raise ValueError("parallel workers need the COPY method (PostgreSQL)")
    bases = id_bases()
    jobs = [
        Job(seed, k, chunk_size, cases, now, staff, bases, evaluate_each, method)
        for k in range((cases + chunk_size - 1) // chunk_size)
    ]
    counts: dict[str, int] = dict.fromkeys(MODELS, 0)

    def tally(done: int, chunk_counts: dict[str, int]) -> None:
        for label, n in chunk_counts.items():
            counts[label] += n
        elapsed = clock.monotonic() - started
        say(
            f"{counts['case']}/{cases} cases, {counts['attempt']} attempts, "
            f"{elapsed:.1f}s ({counts['case'] / elapsed:.0f} cases/s)"
        )

    with indexes_set_aside() if method == "copy" else contextlib.nullcontext():
        if workers == 1:
            for done, job in enumerate(jobs, 1):
                tally(done, chunk_seed(job))
        else:
            # Fresh processes, not forks: a fork would inherit every open connection of this
            # process (other threads' too), and a child using or closing one breaks the
            # parent's session. Each worker sets Django up and connects to this database.
            database = connection.settings_dict["NAME"]
            context = multiprocessing.get_context("spawn")
            with context.Pool(workers, initializer=worker_setup, initargs=(database,)) as pool:
                for done, chunk_counts in enumerate(pool.imap_unordered(chunk_seed, jobs), 1):
                    tally(done, chunk_counts)
        if method == "copy":
            say("building the indexes ...")
    # Both writers give rows explicit ids: move the sequences past them, or the next insert by
    # the application collides with a seeded id (a no-op on SQLite).
    CopyWriter().finish()
    seconds = clock.monotonic() - started
    mode = "evaluated" if evaluate_each else "by construction"
    return SeedResult(
        True, f"Seeded {cases} cases ({method}, {mode}) in {seconds:.1f}s.", counts, seconds
    )


def _daytime(spec: CaseSpec, now: datetime) -> bool:
    """Comfortably inside the permitted hours in every plausible zone of the debtor, so that a
    worker picking the reminder up within minutes is still in time."""
    latest = 21 if spec.country == "CN" else 20
    return bool(spec.zones) and all(
        9 <= now.astimezone(ZoneInfo(z.zone)).hour < latest for z in spec.zones
    )


def reminder_due_now(
    rows: Rows,
    specs: list[CaseSpec],
    *,
    channel: str,
    now: datetime,
    makers: tuple[CaseMaker, WorkMaker],
) -> bool:
    """One reminder due at the moment of the seed, on `channel`, to a debtor for whom it is
    daytime now and whom the compliance engine lets us reach: `make run` shows it sent as soon
    as the reminder worker runs."""
    case_maker, work = makers
    for spec in specs:
        if spec.case["status"] not in ("promise_to_pay", "payment_plan", "active"):
            continue
        if spec.restrictions or not _daytime(spec, now):
            continue
        if any(r["case_id"] == spec.case["id"] for r in rows.tables.get("reminder", ())):
            continue
        cp = spec.cp("mobile" if channel == "sms" else "email")
        if cp is None:
            continue
        if channel == "sms" and spec.country == "US":
            case_maker.ensure_consent(rows, spec, "sms")
        ctx = DebtorContext(spec).context(Planned(now, channel, "", cp), spec.ledger)
        if not evaluate(ctx).allowed:
            continue
        # The reminder must say something true today: a promise or installment due today, an
        # installment due within the week, or a promise made for today.
        today = now.astimezone(ZoneInfo(spec.zones[0].zone)).date()
        promise, installment = spec.promise, spec.next_installment
        kind = ""
        if promise is not None and promise["due_date"] == today:
            kind, installment = "promise_due", None
        elif installment is not None and installment["due_date"] == today:
            kind, promise = "installment_due_today", None
        elif installment is not None and (installment["due_date"] - today).days <= 7:
            kind, promise = "installment_due_soon", None
        elif promise is None:
            kind, promise, installment = (
                "promise_due",
                _promise_due_today(rows, spec, work, now),
                None,
            )
        if not kind:
            continue
        work.reminder(
            rows,
            spec,
            kind=kind,
            channel=channel,
            cp=cp,
            due_at=now,
            promise=promise,
            installment=installment,
        )
        return True
    return False


def _promise_due_today(rows: Rows, spec: CaseSpec, work: WorkMaker, now: datetime) -> dict:
    debt = spec.debts[0]
    today: date = now.astimezone(ZoneInfo(spec.zones[0].zone)).date()
    amount = max(money(float(debt["balance"]) * 0.1), Decimal("1.00"))
    promise = rows.add(
        "promise",
        {
            "id": work.ids.take("promise"),
            "case_id": spec.case["id"],
            "debt_id": debt["id"],
            "amount": amount,
            "currency": debt["currency"],
            "due_date": today,
            "status": "pending",
            "paid_amount": Decimal("0"),
            "created_by_id": spec.collector_id,
            "attempt_id": None,
            "created_at": now - timedelta(days=3),
            "resolved_at": None,
        },
    )
    spec.promise = promise
    return promise


__all__ = ["DEMO_MARKER", "SeedResult", "chunk_make", "demo_data_exists", "demo_seed"]
