"""A large file is checked in a second process while the checked rows are written. Every
scenario is run both ways (checked first in this process; checked beside the writes) and must
end the same: status, row errors, summary and what the database holds."""

import multiprocessing
from dataclasses import replace

import pytest
from django.db import connection, transaction
from django.utils import translation

from collections_app.models import Case, ContactPoint, Debt, Debtor
from exchange.services import batches, checking
from exchange.services.checking import child_check_possible
from exchange.services.placements import PLACEMENTS
from exchange.services.samples import placement_rows_generate

from .conftest import dict_csv, run_import

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _needs_fork_and_postgres():
    if connection.vendor != "postgresql" or not child_check_possible():
        pytest.skip("the check beside the writes needs PostgreSQL and fork")


def generated(rows: int, seed: int = 11) -> list[dict[str, str]]:
    return list(placement_rows_generate(rows=rows, seed=seed, creditor="Beside Bank"))


def with_bad_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = [dict(r) for r in rows]
    rows[3]["mobile"] = "555-12"
    rows[40]["email"] = "not-an-email"
    rows[41]["balance"] = "-3"
    rows[150]["account_number"] = rows[149]["account_number"]  # a duplicate
    rows[199]["country"] = "XX"
    return rows


def outcome(manager, team, rows, *, beside: bool, valid_only: bool = False, monkeypatch=None):  # type: ignore[no-untyped-def]
    """Run one import and read everything it left; then undo it, so the next run starts from
    the same database."""
    if monkeypatch is not None:
        monkeypatch.setattr(batches, "CHECK_BESIDE_APPLY_FROM", 1 if beside else 10**9)
    with transaction.atomic():
        batch = run_import(
            kind="placements",
            content=dict_csv(rows),
            actor=manager,
            team=team,
            valid_only=valid_only,
        )
        result = {
            "status": batch.status,
            "message": batch.message,
            "summary": batch.summary,
            "counts": (batch.total_rows, batch.processed_rows, batch.error_count),
            "errors": list(
                batch.errors.order_by("row_number", "column").values_list(
                    "row_number", "column", "value", "message"
                )
            ),
            "debts": sorted(
                Debt.objects.values_list("account_number", "balance", "debtor__full_name")
            ),
            "world": (
                Debtor.objects.count(),
                Case.objects.count(),
                ContactPoint.objects.count(),
                Debt.history.count(),
                Debtor.history.count(),
            ),
            "zones": sorted(
                (str(v), str(z)) for v, z in ContactPoint.objects.values_list("value", "timezones")
            ),
        }
        transaction.set_rollback(True)
    return result


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(batches, "importer_for", lambda kind: replace(PLACEMENTS, chunk_size=40))


def both_ways(manager, team, rows, monkeypatch, **kw):  # type: ignore[no-untyped-def]
    children = []
    in_child = checking.rows_checked_in_child

    def spied(check, raw):  # type: ignore[no-untyped-def]
        children.append(len(raw))
        return in_child(check, raw)

    monkeypatch.setattr(checking, "rows_checked_in_child", spied)
    first = outcome(manager, team, rows, beside=False, monkeypatch=monkeypatch, **kw)
    assert children == []
    beside = outcome(manager, team, rows, beside=True, monkeypatch=monkeypatch, **kw)
    assert children == [len(rows)]
    return first, beside


def test_a_clean_file_is_written_the_same(manager, team, monkeypatch, small_chunks):
    first, beside = both_ways(manager, team, generated(230), monkeypatch)
    assert first["status"] == "succeeded"
    assert first["summary"]["debts_created"] == 230
    assert beside == first


def test_a_file_with_bad_rows_is_rejected_with_the_same_errors_and_nothing_written(
    manager, team, monkeypatch, small_chunks
):
    first, beside = both_ways(manager, team, with_bad_rows(generated(230)), monkeypatch)
    assert first["status"] == "rejected"
    assert first["world"] == (0, 0, 0, 0, 0)
    assert [e[0] for e in first["errors"]] == [5, 42, 43, 152, 201]
    assert beside == first


def test_valid_rows_only_writes_the_same_rows_and_reports_the_same_errors(
    manager, team, monkeypatch, small_chunks
):
    first, beside = both_ways(
        manager, team, with_bad_rows(generated(230)), monkeypatch, valid_only=True
    )
    assert first["status"] == "partial"
    assert first["summary"]["debts_created"] == 225
    assert beside == first


def test_errors_are_written_in_the_language_of_the_job(manager, team, monkeypatch, small_chunks):
    with translation.override("zh-hans"):
        first, beside = both_ways(manager, team, with_bad_rows(generated(230)), monkeypatch)
    with translation.override("en"):
        english = outcome(manager, team, with_bad_rows(generated(230)), beside=True)
    assert beside == first
    assert beside["errors"] != english["errors"]


def test_an_error_while_writing_fails_the_batch_and_writes_nothing(manager, team, monkeypatch):
    calls = {"n": 0}

    def dying_apply(batch, rows, state):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return PLACEMENTS.apply(batch, rows, state)

    monkeypatch.setattr(
        batches, "importer_for", lambda kind: replace(PLACEMENTS, apply=dying_apply, chunk_size=20)
    )
    first = outcome(manager, team, generated(100), beside=False, monkeypatch=monkeypatch)
    calls["n"] = 0
    beside = outcome(manager, team, generated(100), beside=True, monkeypatch=monkeypatch)
    assert calls["n"] == 3
    assert first["status"] == "failed"
    assert first["world"] == (0, 0, 0, 0, 0)
    assert beside == first


def test_an_error_while_writing_a_file_that_fails_its_check_still_reports_the_rows(
    manager, team, monkeypatch
):
    def dying_apply(batch, rows, state):  # type: ignore[no-untyped-def]
        raise RuntimeError("worker killed")

    monkeypatch.setattr(
        batches, "importer_for", lambda kind: replace(PLACEMENTS, apply=dying_apply, chunk_size=2)
    )
    first, beside = both_ways(manager, team, with_bad_rows(generated(230)), monkeypatch)
    assert first["status"] == "rejected"
    assert beside == first


def test_a_check_that_breaks_fails_the_batch_and_writes_nothing(manager, team, monkeypatch):
    def breaking_check(number, cells):  # type: ignore[no-untyped-def]
        if number == 150:
            raise ValueError("a bug in a checker")
        return PLACEMENTS.check(number, cells)

    monkeypatch.setattr(
        batches,
        "importer_for",
        lambda kind: replace(PLACEMENTS, check=breaking_check, chunk_size=20),
    )
    first, beside = both_ways(manager, team, generated(230), monkeypatch)
    assert first["status"] == "failed"
    assert first["world"] == (0, 0, 0, 0, 0)
    assert beside["status"] == "failed"
    assert beside["world"] == first["world"]


def test_a_celery_pool_process_checks_beside_the_writes_too(
    manager, team, monkeypatch, small_chunks
):
    # Celery's pool processes are daemonic to multiprocessing, which refuses them children.
    monkeypatch.setitem(multiprocessing.current_process()._config, "daemon", True)
    assert child_check_possible()
    first, beside = both_ways(manager, team, with_bad_rows(generated(230)), monkeypatch)
    assert beside == first


def test_the_same_file_twice_changes_nothing_the_second_time(
    manager, team, monkeypatch, small_chunks
):
    monkeypatch.setattr(batches, "CHECK_BESIDE_APPLY_FROM", 1)
    content = dict_csv(generated(230))
    first = run_import(kind="placements", content=content, actor=manager, team=team)
    assert first.summary["debts_created"] == 230
    world = (Debtor.objects.count(), Debt.objects.count(), Case.objects.count())
    history = (Debt.history.count(), Debtor.history.count(), ContactPoint.history.count())
    second = run_import(kind="placements", content=content, actor=manager, team=team)
    assert second.status == "succeeded"
    assert second.summary["rows_unchanged"] == 230
    assert (Debtor.objects.count(), Debt.objects.count(), Case.objects.count()) == world
    assert (Debt.history.count(), Debtor.history.count(), ContactPoint.history.count()) == history
