"""`manage.py bench`: the scale benchmark on the current (scratch, PostgreSQL) database.

Measures each figure and the raw SQL floor of the same answer (perf.sections, perf.floors),
prints the table and, with --report, writes it into docs/benchmarks.md. `bin/bench` seeds
the database first and calls this with --isolate (one child process per section, each
bounded by a timeout, so that one slow figure cannot hold the machine)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from perf.fixtures import bench_people_ensure
from perf.report import block, docs_write, table
from perf.sections import SECTIONS, Options
from perf.stats import LoadSampler, machine

INTRO = """\
`make bench` (`bin/bench`) seeds a PostgreSQL database with `seed_demo --cases N` (or reuses
the one of that size), gives a team of 10 collectors and a manager up to 100,000 of its cases
(one collector holding 2,000), and measures every figure below next to its *floor*: the least
raw SQL that produces the same answer on the same data (`perf/floors.py`). The ratio
ours / floor says how much the application adds on top of what PostgreSQL must do anyway.
`BENCH_CASES` chooses the size; `BENCH_SECTIONS` a subset. Every section runs in a child
process with a time budget and stops by itself."""


def _pg_version() -> str:
    if connection.vendor != "postgresql":
        return connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0]).split()[0]


def _row_counts() -> str:
    tables = {
        "cases": "collections_app_case",
        "contact attempts": "collections_app_contactattempt",
        "decisions": "compliance_compliancedecision",
        "debtors": "collections_app_debtor",
    }
    parts = []
    with connection.cursor() as cursor:
        for label, table_name in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table_name}")  # noqa: S608 (fixed names)
            parts.append(f"{cursor.fetchone()[0]:,} {label}")
    return ", ".join(parts)


class Command(BaseCommand):
    help = "Scale benchmark: each figure with its raw-SQL floor; see docs/benchmarks.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
        parser.add_argument("--decisions", type=int, default=200)
        parser.add_argument("--eligibility-cases", type=int, default=20_000)
        parser.add_argument("--eligibility-batch", type=int, default=1_000)
        parser.add_argument("--requests", type=int, default=50, help="page requests per page")
        parser.add_argument("--export-rows", type=int, default=1_000_000)
        parser.add_argument("--import-rows", type=int, default=100_000)
        parser.add_argument("--reminders", type=int, default=10_000)
        parser.add_argument("--budget", type=float, default=60.0, help="seconds per section")
        parser.add_argument(
            "--budget-slow",
            type=float,
            default=0.0,
            help="seconds for the import and the reminder dispatch (default: 2 x --budget)",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--isolate", action="store_true", help="each section in a child process"
        )
        parser.add_argument("--json", dest="json_path", default="", help="write figures here")
        parser.add_argument(
            "--merge",
            default="",
            help="a previous run's --json: its figures of the sections not run now are kept",
        )
        parser.add_argument("--report", default="", help="write the table into this file")
        parser.add_argument("--no-assign", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **opts: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The scale benchmark needs PostgreSQL (DATABASE_URL).")
        names = [s.strip() for s in opts["sections"].split(",") if s.strip()]
        unknown = set(names) - set(SECTIONS)
        if unknown:
            raise CommandError(f"Unknown sections: {', '.join(sorted(unknown))}")
        options = Options(
            decisions=opts["decisions"],
            eligibility_cases=opts["eligibility_cases"],
            eligibility_batch=opts["eligibility_batch"],
            requests=opts["requests"],
            export_rows=opts["export_rows"],
            import_rows=opts["import_rows"],
            reminders=opts["reminders"],
            budget_s=opts["budget"],
            slow_budget_s=opts["budget_slow"] or 2 * opts["budget"],
            seed=opts["seed"],
        )
        started_at = timezone.now()
        started = time.monotonic()
        sampler = LoadSampler()
        figures: list[dict[str, Any]] = []
        rows_at_start = "" if opts["no_assign"] else _row_counts()
        with sampler.running():
            options.people = bench_people_ensure(assign=not opts["no_assign"])
            self.stdout.write(
                f"bench team: {options.people.team_cases:,} cases, "
                f"queue collector: {options.people.queue_cases:,} cases"
            )
            for name in names:
                t0 = time.monotonic()
                if opts["isolate"]:
                    got = self._child(name, opts)
                else:
                    got = [f.as_dict() for f in SECTIONS[name](options)]
                for figure in got:
                    figure["section"] = name
                figures.extend(got)
                self.stdout.write(f"[{name}] {time.monotonic() - t0:.1f} s")
                for f in got:
                    self.stdout.write(
                        f"  {f['label']}: {f['ours']:.2f} {f['unit']} ({f['verdict']})"
                    )
        if opts["no_assign"]:  # a child of --isolate: figures only
            if opts["json_path"]:
                Path(opts["json_path"]).write_text(
                    json.dumps({"figures": figures}, default=str), encoding="utf-8"
                )
            return
        merged = ""
        # Which run each kept section was measured in; a section kept through several merges
        # keeps the run it came from.
        sources: dict[str, str] = {}
        if opts["merge"] and Path(opts["merge"]).exists():
            before = json.loads(Path(opts["merge"]).read_text(encoding="utf-8"))
            kept = [f for f in before["figures"] if f.get("section") not in names]
            order = {name: i for i, name in enumerate(SECTIONS)}
            figures = sorted(kept + figures, key=lambda f: order.get(f.get("section", ""), 99))
            prev = before.get("meta", {})
            own = (
                f"the run of {prev.get('started', '?')} UTC (load average {prev.get('load', '?')})"
            )
            for f in kept:
                sources[f["section"]] = prev.get("sources", {}).get(f["section"], own)
            by_run: dict[str, list[str]] = {}
            for section, run in sources.items():
                by_run.setdefault(run, []).append(section)
            merged = "; ".join(
                f"{', '.join(sections)} from {run}" for run, sections in by_run.items()
            )
        info = machine()
        meta = {
            "started": started_at.strftime("%d %b %Y, %H:%M"),
            "seconds": time.monotonic() - started,
            "command": os.environ.get("BENCH_COMMAND") or shlex.join(sys.argv),
            "nproc": info["nproc"],
            "memory_mb": info["memory_mb"],
            "load": sampler.describe(),
            "pg": _pg_version(),
            "database": settings.DATABASES["default"]["NAME"],
            "rows": rows_at_start,
            "settings": os.environ.get("DJANGO_SETTINGS_MODULE", ""),
            "debug": "on" if settings.DEBUG else "off",
            "nice": os.nice(0),
            "merged": merged,
            "sources": sources,
        }
        self.stdout.write("")
        self.stdout.write(table(figures))
        self.stdout.write(f"load average during the run: {meta['load']}")
        if opts["json_path"]:
            Path(opts["json_path"]).write_text(
                json.dumps({"meta": meta, "figures": figures}, indent=1, default=str),
                encoding="utf-8",
            )
        if opts["report"]:
            docs_write(Path(opts["report"]), block(meta, figures), intro=INTRO)
            self.stdout.write(f"written to {opts['report']}")

    def _child(self, name: str, opts: dict[str, Any]) -> list[dict[str, Any]]:
        """One section in a child process, bounded by its budget plus start-up slack."""
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "figures.json"
            cmd = [
                sys.executable,
                str(Path(settings.BASE_DIR) / "manage.py"),
                "bench",
                "--sections",
                name,
                "--no-assign",
                "--json",
                str(out),
            ]
            for key in (
                "decisions",
                "eligibility_cases",
                "eligibility_batch",
                "requests",
                "export_rows",
                "import_rows",
                "reminders",
                "budget",
                "budget_slow",
                "seed",
            ):
                cmd += [f"--{key.replace('_', '-')}", str(opts[key])]
            # A section may run two timed phases (ours, then the floor) and start a worker.
            limit = 3 * max(float(opts["budget"]), float(opts["budget_slow"] or 0)) + 180
            try:
                done = subprocess.run(  # noqa: S603 (our own manage.py)
                    cmd, capture_output=True, text=True, timeout=limit, check=False
                )
            except subprocess.TimeoutExpired:
                return [self._failed(name, f"stopped after {limit:.0f} s")]
            if done.returncode != 0 or not out.exists():
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                return [self._failed(name, f"failed: {tail[0][:200]}")]
            return list(json.loads(out.read_text(encoding="utf-8"))["figures"])

    @staticmethod
    def _failed(name: str, why: str) -> dict[str, Any]:
        return {
            "key": name,
            "label": name,
            "ours": 0.0,
            "unit": "",
            "floor": None,
            "target": None,
            "direction": "max",
            "queries": None,
            "query_budget": None,
            "note": why,
            "extra": {},
            "ratio": None,
            "met": None,
            "verdict": "not measured",
        }
