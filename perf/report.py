"""The benchmark table: printed, and written into docs/benchmarks.md between markers inside
the "Scale benchmark" section (the rest of that file belongs to other sections)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SECTION = "## Scale benchmark"
START = "<!-- bench:start (written by manage.py bench; edit outside the markers) -->"
END = "<!-- bench:end -->"


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if value == float("inf"):
        return "∞"
    if unit in ("cases/s", "rows/s") or value >= 100:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


# Why a figure misses its target (the section "Where the time goes" says more).
WHY = {
    "decision": "round trips (debtor lock, one snapshot statement, decision insert) and the rules",
    "api_decision": "the in-process decision plus DRF and the middleware",
    "eligibility_computed": "the rules run in Python for every case and channel (about 0.3 ms "
    "of CPU per case) on a snapshot that reads every ledger row (about 0.1 ms); the floor "
    "counts in SQL and runs no rule",
    "eligibility": "answers that are not stored, or went stale, run the rules in Python (see "
    "the next line); stored ones are one indexed read per batch",
    "queue": "the ordering query over the collector's open cases and the gate on the page",
    "case": "one query per relation of the case file and Django form rendering",
    "dashboard": "a cold dashboard computes the portfolio figures live over every case",
    "export": "time-ordered rows read by walking the time index, joined row by row",
    "import": "row checks, COPY into indexed tables and history rows (see Placement import)",
    "reminders": "one gate evaluation per reminder and bulk writes (see Reminder dispatch)",
}


def _why(key: str) -> str:
    for prefix in sorted(WHY, key=len, reverse=True):
        if key.startswith(prefix):
            return WHY[prefix]
    return ""


def table(figures: list[dict[str, Any]]) -> str:
    lines = [
        "| figure | ours | floor (raw SQL) | ours / floor | target | result | queries | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        direction = "≥" if f["direction"] == "min" else "<"
        target = f"{direction} {_num(f['target'], f['unit'])}" if f["target"] is not None else "—"
        if f.get("query_budget") is not None:
            target += f", ≤ {f['query_budget']} queries"
        ratio = f"{f['ratio']:.1f}x" if f.get("ratio") else "—"
        queries = str(f["queries"]) if f.get("queries") is not None else "—"
        note = str(f.get("note", "")).replace("|", "/").replace("\n", " ")
        if str(f["verdict"]).startswith(("missed", "stopped")) or f["met"] is False:
            note = f"**why:** {_why(f['key'])}. {note}"
        lines.append(
            f"| {f['label']} | {_num(f['ours'], f['unit'])} | {_num(f['floor'], f['unit'])} "
            f"| {ratio} | {target} | {f['verdict']} | {queries} | {note} |"
        )
    return "\n".join(lines)


def block(meta: dict[str, Any], figures: list[dict[str, Any]]) -> str:
    load = meta.get("load", "n/a")
    lines = [
        START,
        "",
        f"Run of {meta['started']} UTC, {meta['seconds']:.0f} s: `{meta['command']}`",
        "",
        f"- Machine: {meta['nproc']} cores, {meta['memory_mb']:,} MB of memory; load average "
        f"during the run {load} (1-minute, sampled every 5 s); PostgreSQL {meta['pg']} on the "
        "same machine.",
        f"- Database `{meta['database']}` at the start: {meta['rows']}.",
        f"- Settings: `{meta['settings']}`, DEBUG {meta['debug']}; heavy processes under "
        f"`nice -n {meta['nice']}`.",
        *([f"- Figures of {meta['merged']}."] if meta.get("merged") else []),
        "",
        table(figures),
        "",
        END,
    ]
    return "\n".join(lines)


def docs_write(path: Path, text: str, *, intro: str) -> None:
    """The benchmark table into its marked block of the Scale benchmark section."""
    docs_write_block(path, text, start=START, end=END, intro=intro)


def docs_write_block(path: Path, text: str, *, start: str, end: str, intro: str = "") -> None:
    """Replace the block between `start` and `end` (text includes both markers); without it,
    add the block at the end of the Scale benchmark section (created at the end of the file
    if missing). Other sections of the file are kept as they are."""
    body = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in body and end in body:
        head, rest = body.split(start, 1)
        _old, tail = rest.split(end, 1)
        body = head + text + tail
    elif SECTION in body:
        head, rest = body.split(SECTION, 1)
        following = rest.find("\n## ")
        mine, tail = (rest, "") if following < 0 else (rest[:following], rest[following:])
        body = head + SECTION + mine.rstrip("\n") + "\n\n" + text + "\n" + tail
    else:
        intro_text = f"{intro.strip()}\n\n" if intro.strip() else ""
        body = body.rstrip("\n") + f"\n\n{SECTION}\n\n{intro_text}{text}\n"
    path.write_text(body, encoding="utf-8")
