"""`manage.py loadtest_report --summary var/bench/loadtest-summary.json [--report FILE]`:
the load test's figures as a table, printed and written into the Scale benchmark section."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from perf.report import docs_write_block
from perf.stats import machine

TARGET_P95_MS = 300
START = "<!-- loadtest:start (written by bin/loadtest; edit outside the markers) -->"
END = "<!-- loadtest:end -->"


def loadtest_table(summary: dict[str, Any]) -> str:
    lines = [
        "| requests | count | failures | throughput | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = [*sorted(summary["endpoints"].items()), ("all", summary["total"])]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['requests']:,} | {r['failures']:,} | {r['rps']:.1f}/s "
            f"| {r['p50']:.0f} ms | {r['p95']:.0f} ms | {r['p99']:.0f} ms | {r['max']:.0f} ms |"
        )
    return "\n".join(lines)


# Celery's own log lines: a success gives its run time, a failure only its error.
TASK_DONE = re.compile(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([0-9.]+)s")
TASK_FAILED = re.compile(r"Task ([\w.]+)\[[^\]]+\] raised unexpected:")


def _background(worker_log: str) -> str:
    """The Celery tasks that ran during the test: how many of each, their time in all, and
    how many failed."""
    path = Path(worker_log) if worker_log else None
    if path is None or not path.exists():
        return "Background tasks: the worker's log was not kept."
    text = path.read_text(encoding="utf-8", errors="replace")
    runs: dict[str, list[float]] = {}
    for match in TASK_DONE.finditer(text):
        runs.setdefault(match.group(1), []).append(float(match.group(2)))
    failed: dict[str, int] = {}
    for match in TASK_FAILED.finditer(text):
        failed[match.group(1)] = failed.get(match.group(1), 0) + 1
        runs.setdefault(match.group(1), [])
    if not runs:
        return "Background tasks: none finished during the test."
    parts = []
    for name, times in sorted(runs.items(), key=lambda kv: (-sum(kv[1]), kv[0])):
        part = f"`{name.rsplit('.', 1)[-1]}` x{len(times)} ({sum(times):.1f} s)"
        if failed.get(name):
            part += f", {failed[name]} failed"
        parts.append(part)
    return "Background tasks run by the worker during the test (count, time in all): " + (
        ", ".join(parts) + "."
    )


def _not_yet_due(left: str, late: str) -> str:
    try:
        return str(int(left) - int(late))
    except ValueError:
        return "?"


class Command(BaseCommand):
    help = "Report the load test's throughput, latency and errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--summary", required=True)
        parser.add_argument("--report", default="")
        parser.add_argument("--users", default="")
        parser.add_argument("--run-time", default="")
        parser.add_argument("--workers", default="")
        parser.add_argument("--load", default="")
        parser.add_argument("--reminders", default="", help="Reminders prepared, unsent.")
        parser.add_argument("--reminders-late", default="", help="Due and unsent at the end.")
        parser.add_argument("--reminders-left", default="", help="Unsent at the end.")
        parser.add_argument("--ramp", default="", help="Seconds of ramp left out.")
        parser.add_argument("--worker-log", default="", help="The Celery worker's log (INFO).")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["summary"])
        if not path.exists():
            raise CommandError(f"No summary at {path}: the load test did not finish.")
        summary = json.loads(path.read_text(encoding="utf-8"))
        total = summary["total"]
        met = total["p95"] < TARGET_P95_MS and total["failures"] == 0
        verdict = (
            "met"
            if met
            else f"missed: p95 {total['p95']:.0f} ms (target < {TARGET_P95_MS} ms), "
            f"{total['failures']} errors"
        )
        info = machine()
        gate = summary.get("gate") or {}
        gate_text = ", ".join(f"{k}: {v}" for k, v in sorted(gate.items())) or "none"
        errors = "; ".join(f"{e['name']}: {e['error']} x{e['count']}" for e in summary["errors"])
        text = "\n".join(
            [
                START,
                "",
                f"Load test of {timezone.now():%d %b %Y, %H:%M} UTC: {opts['users']} simulated "
                f"collectors for {opts['run_time']} against gunicorn ({opts['workers']} "
                f"processes, production settings, DEBUG off) on 127.0.0.1, with a Celery worker "
                f"and beat sending reminders; {info['nproc']} cores, load average "
                f"{opts['load']} (before -> after). Figures from the moment all collectors "
                f"were working (the {opts['ramp'] or '?'} s ramp left out). Reminders falling "
                f"due during the run: {opts['reminders'] or '?'}; at the end, due and not sent: "
                f"{opts['reminders_late'] or '?'}, not yet due: "
                f"{_not_yet_due(opts['reminders_left'], opts['reminders_late'])}. The gate's "
                f"answers to the calls placed (201 placed, 409 refused by a rule): {gate_text}.",
                "",
                loadtest_table(summary),
                "",
                _background(opts["worker_log"]),
                "",
                f"Target p95 < {TARGET_P95_MS} ms with zero errors: **{verdict}**."
                + (f" Errors: {errors}" if errors else ""),
                "",
                END,
            ]
        )
        self.stdout.write(text)
        if opts["report"]:
            docs_write_block(Path(opts["report"]), text, start=START, end=END)
            self.stdout.write(f"written to {opts['report']}")
