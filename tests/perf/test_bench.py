"""The scale benchmark keeps working: `manage.py bench` on a tiny database measures every
quick figure, prints the table and writes its block into the report without touching the
other sections; the fixtures give the bench team its cases; verdicts say by how much a
target is missed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.models import User
from collections_app.models import Case
from perf.fixtures import bench_people_ensure, load_people_ensure
from perf.report import END, START, docs_write, docs_write_block
from perf.sections import Figure
from tests.factories import CaseFactory, ContactAttemptFactory, ContactPointFactory

QUICK = "decision,api_decision,eligibility,queue,case,dashboard,export"


@pytest.fixture
def small_portfolio(team, collector, auditor, admin_user):
    cases = [CaseFactory(team=team, assigned_to=collector) for _ in range(6)]
    for case in cases:
        cp = ContactPointFactory(debtor=case.debtor)
        ContactAttemptFactory(case=case, contact_point=cp)
    return cases


@pytest.mark.postgres
@pytest.mark.django_db
def test_bench_measures_every_quick_figure_and_writes_its_block(small_portfolio, tmp_path):
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\n## Reminder dispatch\n\nTheirs.\n", encoding="utf-8")
    out = io.StringIO()
    call_command(
        "bench",
        sections=QUICK,
        decisions=3,
        requests=2,
        eligibility_cases=6,
        budget=5,
        report=str(report),
        json_path=str(tmp_path / "figures.json"),
        stdout=out,
    )
    figures = json.loads((tmp_path / "figures.json").read_text())["figures"]
    keys = {f["key"] for f in figures}
    assert {
        "decision_p50",
        "decision_p99",
        "api_decision_p50",
        "eligibility",
        "eligibility_computed",
        "queue_p95",
        "case_p95",
        "dashboard_p95",
        "dashboard_cold_p50",
        "export_rate",
        "export_memory",
    } <= keys
    by_key = {f["key"]: f for f in figures}
    # Real work was measured: pages answered 200 and the floors ran on the same data.
    for key in ("queue_p95", "case_p95", "dashboard_p95"):
        assert "200: " in by_key[key]["note"], by_key[key]["note"]
        assert by_key[key]["queries"] > 0
        assert by_key[key]["floor"] > 0
    assert by_key["dashboard_cold_p50"]["ours"] > 0
    # Batch eligibility: computed and stored first, then read back as stored.
    assert "6 answers stored" in by_key["eligibility_computed"]["note"]
    assert "6 answers read as stored" in by_key["eligibility"]["note"]
    assert "6 rows" in by_key["export_rate"]["note"]
    assert by_key["decision_p50"]["ours"] > 0 and by_key["decision_p50"]["floor"] > 0
    text = report.read_text(encoding="utf-8")
    assert "## Reminder dispatch\n\nTheirs." in text
    assert "## Scale benchmark" in text and START in text and END in text
    assert "| Gate decision in-process, p50 |" in text
    assert "| figure | ours | floor (raw SQL) |" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db
def test_bench_refuses_unknown_sections():
    with pytest.raises(CommandError, match="Unknown sections: nope"):
        call_command("bench", sections="nope", stdout=io.StringIO())


@pytest.mark.postgres
@pytest.mark.django_db
def test_bench_people_take_the_first_cases_and_give_one_collector_a_block(team, collector):
    cases = [CaseFactory(team=team, assigned_to=collector) for _ in range(8)]
    people = bench_people_ensure(team_cases=6, queue_cases=2, collectors=3)
    assert people.team_cases == 6 and people.queue_cases == 2
    first = sorted(c.pk for c in cases)[:6]
    assert set(Case.objects.filter(team_id=people.team_id).values_list("pk", flat=True)) == set(
        first
    )
    assert Case.objects.filter(assigned_to_id=people.queue_collector_id).count() == 2
    others = people.collector_ids[1:]
    assert Case.objects.filter(assigned_to_id__in=others).count() == 4
    # The two cases beyond the team's share are left as they were.
    assert Case.objects.filter(team=team, assigned_to=collector).count() == 2
    manager = User.objects.get(pk=people.manager_id)
    assert manager.role == "manager" and not manager.has_usable_password()
    # Idempotent: a second call finds the same people.
    again = bench_people_ensure(team_cases=6, queue_cases=2, collectors=3)
    assert again.collector_ids == people.collector_ids


@pytest.mark.postgres
@pytest.mark.django_db
def test_load_people_take_the_last_cases_round_robin(team, collector):
    cases = sorted(CaseFactory(team=team, assigned_to=collector).pk for _ in range(5))
    owned = load_people_ensure(users=2, cases_each=2)
    assert sorted(c for ids in owned.values() for c in ids) == cases[-4:]
    assert all(len(ids) == 2 for ids in owned.values())


@pytest.mark.postgres
@pytest.mark.django_db
def test_loadtest_prepare_writes_sessions_tokens_and_phones(team, collector, tmp_path, client):
    case = CaseFactory(team=team, assigned_to=collector)
    ContactPointFactory(debtor=case.debtor)
    out = tmp_path / "users.json"
    call_command(
        "loadtest_prepare", users=2, cases_each=1, reminders=0, out=str(out), stdout=io.StringIO()
    )
    people = json.loads(out.read_text())["users"]
    assert [p["username"] for p in people] == ["lt_001", "lt_002"]
    owner = next(p for p in people if p["cases"])
    assert owner["cases"] == [case.pk] and len(owner["phones"]) == 1
    # The session made in the store signs the collector in; the token opens the API.
    client.cookies["sessionid"] = owner["session"]
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    response = client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {owner['token']}")
    assert response.status_code == 200


def test_figure_verdicts_say_by_how_much():
    slow = Figure("x", "x", ours=30.0, unit="ms", floor=3.0, target=5.0)
    assert slow.ratio == pytest.approx(10.0)
    assert slow.met is False and slow.verdict() == "missed by 6.0x"
    rate = Figure(
        "r", "r", ours=5_000, unit="cases/s", floor=50_000, target=20_000, direction="min"
    )
    assert rate.ratio == pytest.approx(10.0)
    assert rate.verdict() == "missed: 25% of target"
    page = Figure("p", "p", ours=100, unit="ms", target=150, queries=20, query_budget=15)
    assert page.met is False and page.verdict() == "20 queries > 15"
    assert Figure("n", "n", ours=1, unit="ms").verdict() == "—"
    assert Figure("ok", "ok", ours=1, unit="ms", target=5).verdict() == "met"


def test_report_block_is_replaced_in_place_and_other_sections_kept(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n## Placement import\n\nKeep me.\n", encoding="utf-8")
    docs_write(path, f"{START}\nfirst\n{END}", intro="About the benchmark.")
    docs_write(path, f"{START}\nsecond\n{END}", intro="About the benchmark.")
    text = path.read_text(encoding="utf-8")
    assert text.count(START) == 1 and "second" in text and "first" not in text
    assert "## Placement import\n\nKeep me." in text
    assert text.index("## Scale benchmark") > text.index("Keep me.")
    # A second block (the load test) lands inside the same section, before the next one.
    path.write_text(text + "\n## Later\n\nTheirs.\n", encoding="utf-8")
    docs_write_block(path, "<!-- a -->\nload\n<!-- b -->", start="<!-- a -->", end="<!-- b -->")
    text = path.read_text(encoding="utf-8")
    assert text.index("load") < text.index("## Later")
    assert Path(path).read_text(encoding="utf-8").endswith("Theirs.\n")


@pytest.mark.postgres
@pytest.mark.django_db
def test_merged_runs_name_the_run_each_kept_figure_came_from(small_portfolio, tmp_path):
    def run(sections: str, when: str, merge: str | None, out: str) -> dict:  # type: ignore[type-arg]
        with time_machine.travel(when, tick=True):
            call_command(
                "bench",
                sections=sections,
                decisions=2,
                requests=1,
                eligibility_cases=6,
                budget=5,
                json_path=str(tmp_path / out),
                stdout=io.StringIO(),
                **({"merge": str(tmp_path / merge)} if merge else {}),
            )
        return json.loads((tmp_path / out).read_text())["meta"]

    run("decision", "2026-11-29T01:00:00Z", None, "a.json")
    run("case", "2026-11-29T02:00:00Z", "a.json", "b.json")
    meta = run("queue", "2026-11-29T03:00:00Z", "b.json", "c.json")
    assert "01:00" in meta["sources"]["decision"] and "02:00" in meta["sources"]["case"]
    assert "queue" not in meta["sources"]
    assert "decision from the run of 29 Nov 2026, 01:00" in meta["merged"]
    assert "case from the run of 29 Nov 2026, 02:00" in meta["merged"]
