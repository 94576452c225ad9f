"""One function per benchmark figure. Each returns a list of `Figure` rows: what we measured,
its floor (perf.floors), the ratio between them and whether the target is met.

Everything that writes runs inside a transaction that is rolled back, except the placement
import and the reminder dispatch, which run the project's own bench commands in a child
process (they need their own commits and a worker) against this scratch database."""

from __future__ import annotations

import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.db import close_old_connections, connection, transaction
from django.db.models import Max, Min
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from collections_app.models import Case, ContactPoint

from . import floors
from .fixtures import BenchPeople, bench_people_ensure
from .stats import summary_ms, timed_ms

PHONE_KINDS = ("mobile", "landline", "work_phone")


@dataclass
class Figure:
    key: str
    label: str
    ours: float
    unit: str
    floor: float | None = None
    target: float | None = None
    # "max": ours must stay under target; "min": ours must reach it.
    direction: str = "max"
    queries: int | None = None
    query_budget: int | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """ours / floor as cost: for rates the floor's rate over ours (time per item)."""
        if not self.floor or not self.ours:
            return None
        return self.floor / self.ours if self.direction == "min" else self.ours / self.floor

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        ok = self.ours >= self.target if self.direction == "min" else self.ours <= self.target
        if self.query_budget is not None and self.queries is not None:
            ok = ok and self.queries <= self.query_budget
        return ok

    def verdict(self) -> str:
        met = self.met
        if met is None:
            return "—"
        if met:
            return "met"
        parts = []
        if self.target is not None:
            if self.direction == "min" and self.ours < self.target:
                parts.append(f"missed: {self.ours / self.target:.0%} of target")
            elif self.direction == "max" and self.ours > self.target:
                parts.append(f"missed by {self.ours / self.target:.1f}x")
        if self.query_budget is not None and self.queries and self.queries > self.query_budget:
            parts.append(f"{self.queries} queries > {self.query_budget}")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "met": self.met, "verdict": self.verdict()}


class _Rollback(Exception):
    """Undoes a measured write."""


def rolled_back(func: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        box: list[Any] = []
        try:
            with transaction.atomic():
                box.append(func())
                raise _Rollback
        except _Rollback:
            pass
        return box[0] if box else None

    return run


def sample_ids(model: Any, n: int, rng: random.Random, **filters: Any) -> list[int]:
    """Up to n random primary keys without ORDER BY random()."""
    bounds = model.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return []
    found: set[int] = set()
    for _round in range(20):
        if len(found) >= n:
            break
        guesses = {rng.randint(bounds["lo"], bounds["hi"]) for _ in range((n - len(found)) * 3)}
        found.update(model.objects.filter(pk__in=guesses, **filters).values_list("pk", flat=True))
    ordered = sorted(found)
    return ordered if len(ordered) <= n else rng.sample(ordered, n)


@dataclass
class Options:
    decisions: int = 200
    eligibility_cases: int = 20_000
    eligibility_batch: int = 1_000
    requests: int = 50
    export_rows: int = 1_000_000
    import_rows: int = 100_000
    reminders: int = 10_000
    budget_s: float = 60.0
    slow_budget_s: float = 120.0
    seed: int = 2026
    people: BenchPeople | None = None


def _people(opts: Options) -> BenchPeople:
    if opts.people is None:
        opts.people = bench_people_ensure()
    return opts.people


def _phones(opts: Options, rng: random.Random) -> list[ContactPoint]:
    ids = sample_ids(ContactPoint, opts.decisions, rng, owner="debtor", kind__in=PHONE_KINDS)
    return list(ContactPoint.objects.filter(pk__in=ids))


def section_decision(opts: Options) -> list[Figure]:
    from compliance.services.outreach import outreach_reserve

    rng = random.Random(opts.seed)
    now = timezone.now()
    points = _phones(opts, rng)
    ours: list[float] = []
    floor: list[float] = []
    deadline = time.monotonic() + opts.budget_s
    for cp in points:

        def decide(cp: ContactPoint = cp) -> Any:
            return outreach_reserve(
                contact_point=cp,
                channel="call",
                actor=None,
                at=now,
                actor_label="bench",
                dry_run=True,
            )

        def least(cp: ContactPoint = cp) -> Any:
            return floors.decision_floor(contact_point_id=cp.pk, at=now)

        # Both read the same pages: the first read of a debtor's rows from disk is paid
        # by an unmeasured run, so neither is timed cold (a running system has its recent
        # ledger in memory).
        rolled_back(least)()
        ours.append(timed_ms(rolled_back(decide))[0])
        floor.append(timed_ms(rolled_back(least))[0])
        if time.monotonic() > deadline:
            break
    with CaptureQueriesContext(connection) as ctx:
        if points:
            rolled_back(
                lambda: outreach_reserve(
                    contact_point=points[0],
                    channel="call",
                    actor=None,
                    at=now,
                    actor_label="bench",
                    dry_run=True,
                )
            )()
    queries = len(ctx.captured_queries)
    o, f = summary_ms(ours), summary_ms(floor)
    note = f"n={o['n']}; floor reads the same rows in one locked query and writes no decision"
    return [
        Figure(
            "decision_p50",
            "Gate decision in-process, p50",
            o["p50"],
            "ms",
            f["p50"],
            5.0,
            queries=queries,
            note=note,
        ),
        Figure(
            "decision_p99",
            "Gate decision in-process, p99",
            o["p99"],
            "ms",
            f["p99"],
            20.0,
            note=f"max {o['max']:.1f} ms",
        ),
    ]


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section_api_decision(opts: Options) -> list[Figure]:
    rng = random.Random(opts.seed + 1)
    now = timezone.now()
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if admin is None:
        return [Figure("api_decision_p50", "Gate decision via API", 0, "ms", note="no admin user")]
    client = _client_for(admin)
    url = "/api/v1/compliance/check/"
    ours: list[float] = []
    floor: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + opts.budget_s
    for cp in _phones(opts, rng):

        def call(cp: ContactPoint = cp) -> Any:
            response = client.post(
                url, {"contact_point": cp.pk, "channel": "call"}, content_type="application/json"
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            return response

        def least(cp: ContactPoint = cp) -> Any:
            return floors.decision_floor(contact_point_id=cp.pk, at=now)

        rolled_back(least)()  # not timed: the debtor's pages in memory (see section_decision)
        ours.append(timed_ms(rolled_back(call))[0])
        floor.append(timed_ms(rolled_back(least))[0])
        if time.monotonic() > deadline:
            break
    o, f = summary_ms(ours), summary_ms(floor)
    answers = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    note = (
        "Django test Client (signed-in admin), POST /api/v1/compliance/check/, rolled back; "
        f"statuses {answers}"
    )
    return [
        Figure(
            "api_decision_p50", "Gate decision via API, p50", o["p50"], "ms", f["p50"], note=note
        ),
        Figure("api_decision_p99", "Gate decision via API, p99", o["p99"], "ms", f["p99"]),
    ]


def section_eligibility(opts: Options) -> list[Figure]:
    """Batch eligibility as a dialer asks it: a campaign list of random cases in batches.

    First with nothing stored (every answer computed by the rules and stored: the first ask,
    and the refresher's rate), then again (the answers read while they hold: a campaign list
    asked again, or kept fresh by the refresher). Both are exactly the rules' answers."""
    from compliance.models import EligibilityAnswer
    from compliance.services.eligibility import eligibility_answers

    rng = random.Random(opts.seed + 2)
    now = timezone.now()
    ids = sample_ids(Case, opts.eligibility_cases, rng)
    if not ids:
        return [Figure("eligibility", "Batch eligibility", 0, "cases/s", note="no case")]
    batch = max(1, opts.eligibility_batch)
    EligibilityAnswer.objects.filter(case_id__in=ids).delete()
    chunks = [ids[i : i + batch] for i in range(0, len(ids), batch)]

    def ask(chunk: list[int]) -> tuple[dict[int, Any], Any]:
        return eligibility_answers(case_ids=chunk, channels=["call"], at=now, now=now)

    def run(limit: float) -> tuple[int, float, float, int, int, int]:
        done = contactable = read = stored = 0
        spent = floor_spent = 0.0
        deadline = time.monotonic() + limit
        for chunk in chunks:
            floors.eligibility_floor(case_ids=chunk, at=now)  # not timed: the pages in memory
            ms, (results, stats) = timed_ms(lambda chunk=chunk: ask(chunk))
            spent += ms
            contactable += sum(r["call"].allowed for r in results.values())
            read += stats.read
            stored += stats.stored
            floor_spent += timed_ms(
                lambda chunk=chunk: floors.eligibility_floor(case_ids=chunk, at=now)
            )[0]
            done += len(chunk)
            if time.monotonic() > deadline:
                break
        return done, spent, floor_spent, contactable, read, stored

    c_done, c_spent, c_floor, c_contactable, _c_read, c_stored = run(opts.budget_s)
    chunks = chunks[: max(1, -(-c_done // batch))]  # read back what the first pass computed
    w_done, w_spent, w_floor, w_contactable, w_read, _w_stored = run(opts.budget_s)
    with CaptureQueriesContext(connection) as ctx:
        ask(chunks[0])
    return [
        Figure(
            "eligibility",
            "Batch eligibility",
            w_done / (w_spent / 1000),
            "cases/s",
            w_done / (w_floor / 1000),
            20_000,
            direction="min",
            queries=len(ctx.captured_queries),
            note=f"a campaign list asked again: {w_done} cases in batches of {batch}, "
            f"{w_read} answers read as stored (the rest computed), {w_contactable} contactable "
            f"now; queries per batch of {batch}: {len(ctx.captured_queries)}",
        ),
        Figure(
            "eligibility_computed",
            "Batch eligibility, rules run for every case",
            c_done / (c_spent / 1000),
            "cases/s",
            c_done / (c_floor / 1000),
            direction="min",
            note=f"the first ask (and the refresher's rate): {c_done} cases in batches of "
            f"{batch}, nothing stored before, {c_stored} answers stored, {c_contactable} "
            "contactable now",
        ),
    ]


def _page_figures(
    *,
    key: str,
    label: str,
    client: Client,
    urls: list[str],
    floor: Callable[[int], Any],
    floor_args: list[int],
    opts: Options,
    target: float,
    query_budget: int | None,
) -> list[Figure]:
    statuses: dict[int, int] = {}
    durations: list[float] = []
    deadline = time.monotonic() + opts.budget_s
    client.get(urls[0])  # warm the template and URL caches
    for i in range(opts.requests):
        url = urls[i % len(urls)]
        ms, response = timed_ms(lambda url=url: client.get(url))
        if response.streaming:
            b"".join(response.streaming_content)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        durations.append(ms)
        if time.monotonic() > deadline:
            break
    floor_ms = []
    for i in range(len(durations)):
        arg = floor_args[i % len(floor_args)]
        floor_ms.append(timed_ms(lambda arg=arg: floor(arg))[0])
    with CaptureQueriesContext(connection) as ctx:
        client.get(urls[-1])
    o, f = summary_ms(durations), summary_ms(floor_ms)
    note = f"n={o['n']}, p50 {o['p50']:.0f} ms, p99 {o['p99']:.0f} ms; statuses " + ", ".join(
        f"{k}: {v}" for k, v in sorted(statuses.items())
    )
    return [
        Figure(
            f"{key}_p95",
            f"{label}, p95",
            o["p95"],
            "ms",
            f["p95"],
            target,
            queries=len(ctx.captured_queries),
            query_budget=query_budget,
            note=note,
            extra={"p50": o["p50"], "p99": o["p99"], "floor_p50": f["p50"]},
        ),
    ]


def section_queue(opts: Options) -> list[Figure]:
    people = _people(opts)
    user = User.objects.get(pk=people.queue_collector_id)
    url = reverse("collections:queue")
    figures = _page_figures(
        key="queue",
        label=f"Work queue ({people.queue_cases:,} cases)",
        client=_client_for(user),
        urls=[url, url + "?page=2", url + "?page=3"],
        floor=lambda uid: floors.queue_floor(user_id=uid),
        floor_args=[user.pk],
        opts=opts,
        target=150,
        query_budget=15,
    )
    return figures


def section_case(opts: Options) -> list[Figure]:
    people = _people(opts)
    user = User.objects.get(pk=people.queue_collector_id)
    rng = random.Random(opts.seed + 3)
    ids = list(Case.objects.filter(assigned_to=user).values_list("pk", flat=True)[:2000])
    ids = rng.sample(ids, min(len(ids), opts.requests)) or [0]
    return _page_figures(
        key="case",
        label="Case page",
        client=_client_for(user),
        urls=[reverse("collections:case", args=[i]) for i in ids],
        floor=lambda cid: floors.case_floor(case_id=cid),
        floor_args=ids,
        opts=opts,
        target=150,
        query_budget=15,
    )


def section_dashboard(opts: Options) -> list[Figure]:
    """The dashboard as managers see it: the portfolio figures read from the summary the
    Celery beat refreshes every few minutes (the warm-up request builds it, as a refresh
    would). Then, for the record, cold: no summary, everything computed live."""
    from manager.models import PortfolioSummary

    people = _people(opts)
    manager = User.objects.get(pk=people.manager_id)
    today = timezone.localdate()
    start = today.replace(day=1)
    client = _client_for(manager)
    url = reverse("manager:dashboard")
    collectors = len(people.collector_ids)
    label = f"Manager dashboard ({collectors} collectors, {people.team_cases:,} cases)"
    figures = _page_figures(
        key="dashboard",
        label=f"{label}, summary fresh",
        client=client,
        urls=[url],
        floor=lambda tid: floors.dashboard_floor(team_id=tid, start=start, end=today),
        floor_args=[people.team_id],
        opts=Options(**{**asdict(opts), "requests": max(5, opts.requests // 5)}),
        target=500,
        query_budget=None,
    )

    def cold() -> Any:
        PortfolioSummary.objects.all().delete()
        return client.get(url)

    durations = []
    deadline = time.monotonic() + opts.budget_s
    for _ in range(3):
        durations.append(timed_ms(rolled_back(cold))[0])
        if time.monotonic() > deadline:
            break
    o = summary_ms(durations)
    figures.append(
        Figure(
            "dashboard_cold_p50",
            f"{label}, cold (no summary: computed live and stored), p50",
            o["p50"],
            "ms",
            figures[0].floor,
            note=f"n={o['n']}, max {o['max']:.0f} ms; when no summary younger than "
            "DASHBOARD_SUMMARY_MAX_AGE exists for the scope and day (no beat running, or a "
            "period ending on another day)",
        )
    )
    return figures


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def section_export(opts: Options) -> list[Figure]:
    auditor = User.objects.filter(role="auditor", is_active=True).order_by("pk").first()
    if auditor is None:
        return [Figure("export_rate", "Audit CSV export", 0, "rows/s", note="no auditor")]
    client = _client_for(auditor)
    before = _rss_mb()
    rows = 0
    started = time.perf_counter()
    deadline = time.monotonic() + opts.budget_s
    response = client.get(reverse("audit:history_export") + "?show=attempts")
    for chunk in response.streaming_content:
        rows += bytes(chunk).count(b"\n")
        if rows > opts.export_rows or time.monotonic() > deadline:
            break
    # Closing the response ends its server-side cursor; keep the connection for the floor.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    elapsed = time.perf_counter() - started
    peak = _rss_mb()
    rows = max(0, rows - 1)  # the header
    floor_s = timed_ms(lambda: floors.export_floor(rows=rows))[0] / 1000
    rate = rows / elapsed if elapsed else 0
    note = (
        f"{rows:,} rows in {elapsed:.1f} s through the view's streamed response; "
        f"process peak RSS {peak:.0f} MB, {peak - before:.0f} MB above the peak before it"
    )
    return [
        Figure(
            "export_rate",
            "Audit CSV export (attempts)",
            rate,
            "rows/s",
            rows / floor_s if floor_s else None,
            50_000,
            direction="min",
            note=note,
        ),
        Figure(
            "export_memory",
            "Audit CSV export, peak RSS",
            peak,
            "MB",
            None,
            200,
            note="whole process (Django included); RSS via getrusage",
        ),
    ]


def _run_child(args: list[str], timeout: float) -> tuple[str, float, bool]:
    """A manage.py command in a child process (nice'd by the caller's niceness); returns its
    output, wall time and whether it finished in time."""
    cmd = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]
    started = time.monotonic()
    try:
        done = subprocess.run(  # noqa: S603 (our own manage.py)
            cmd, capture_output=True, text=True, timeout=timeout, check=False
        )
        out = done.stdout + done.stderr
        finished = done.returncode == 0
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        finished = False
    return out, time.monotonic() - started, finished


def section_import(opts: Options) -> list[Figure]:
    from exchange.services.samples import placement_rows_generate, rows_to_csv

    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    out, wall, finished = _run_child(
        ["bench_import", "--rows", str(opts.import_rows), "--creditor", f"Bench Bank {stamp}"],
        timeout=opts.slow_budget_s,
    )
    match = re.search(r"imported in ([\d.]+)s", out)
    seconds = float(match.group(1)) if match else wall
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "placements.csv"
        path.write_bytes(
            rows_to_csv(placement_rows_generate(rows=opts.import_rows, seed=7, creditor="F"))
        )
        floor_ms, _n = timed_ms(lambda: floors.csv_copy_floor(path=str(path)))
    note = out.strip().splitlines()[-1][:160] if out.strip() else ""
    if not finished:
        note = f"stopped after {wall:.0f} s (budget) — {note}"
        seconds = max(seconds, wall)
    return [
        Figure(
            "import",
            f"Placement import, {opts.import_rows:,} rows",
            seconds,
            "s",
            floor_ms / 1000,
            60 * opts.import_rows / 100_000,
            note=note,
        )
    ]


def section_reminders(opts: Options) -> list[Figure]:
    out, wall, _finished = _run_child(
        [
            "bench_reminders",
            "--count",
            str(opts.reminders),
            "--timeout",
            str(int(opts.slow_budget_s)),
        ],
        timeout=opts.slow_budget_s + 90,
    )
    match = re.search(r"dispatched in ([\d.]+) s", out)
    seconds = float(match.group(1)) if match else wall
    floor_ms, _n = timed_ms(rolled_back(lambda: floors.reminders_floor(count=opts.reminders)))
    lines = [ln for ln in out.strip().splitlines() if ln.strip()]
    statuses = next((ln for ln in lines if ln.startswith("statuses:")), "")
    note = f"{statuses}; {lines[-1][:120] if lines else ''}"
    if not match:
        pending = re.search(r"(\d+) reminders still pending after ([\d.]+) s", out)
        if pending:
            done = opts.reminders - int(pending.group(1))
            rate = done / float(pending.group(2)) if float(pending.group(2)) else 0
            seconds = opts.reminders / rate if rate else float("inf")
            note = (
                f"stopped at the {opts.slow_budget_s:.0f} s budget with {done} done "
                f"({rate:.1f}/s), extrapolated; {statuses}"
            )
    return [
        Figure(
            "reminders",
            f"Reminder dispatch, {opts.reminders:,} due",
            seconds,
            "s",
            floor_ms / 1000,
            60 * opts.reminders / 10_000,
            note=note,
        )
    ]


SECTIONS: dict[str, Callable[[Options], list[Figure]]] = {
    "decision": section_decision,
    "api_decision": section_api_decision,
    "eligibility": section_eligibility,
    "queue": section_queue,
    "case": section_case,
    "dashboard": section_dashboard,
    "export": section_export,
    "import": section_import,
    "reminders": section_reminders,
}
