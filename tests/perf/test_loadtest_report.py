# ruff: noqa: E501  (Celery's log lines, as the worker writes them)
"""The load test's report lists the background tasks the worker ran during the test."""

from perf.management.commands.loadtest_report import _background

LOG = """\
[2026-11-29 03:45:01,000: INFO/MainProcess] Task manager.tasks.portfolio_summaries_refresh[a1] received
[2026-11-29 03:45:01,040: INFO/ForkPoolWorker-1] Task manager.tasks.portfolio_summaries_refresh[a1] succeeded in 0.04s: 6
[2026-11-29 03:45:04,100: INFO/ForkPoolWorker-1] Task manager.tasks.portfolio_summary_refresh[b1] succeeded in 3.5s: 'all'
[2026-11-29 03:45:07,100: INFO/ForkPoolWorker-2] Task manager.tasks.portfolio_summary_refresh[b2] succeeded in 2.25s: 'teams:1'
[2026-11-29 03:45:08,000: INFO/ForkPoolWorker-2] Task audit.tasks.chain_seal[c1] succeeded in 1.5s: 10
[2026-11-29 03:45:09,000: ERROR/ForkPoolWorker-2] Task audit.tasks.chain_seal[c2] raised unexpected: OperationalError('gone')
"""


def test_tasks_are_counted_with_their_time_longest_first(tmp_path):
    log = tmp_path / "worker.log"
    log.write_text(LOG, encoding="utf-8")
    assert _background(str(log)) == (
        "Background tasks run by the worker during the test (count, time in all): "
        "`portfolio_summary_refresh` x2 (5.8 s), `chain_seal` x1 (1.5 s), 1 failed, "
        "`portfolio_summaries_refresh` x1 (0.0 s)."
    )


def test_a_missing_or_empty_log_says_so(tmp_path):
    assert "not kept" in _background(str(tmp_path / "none.log"))
    empty = tmp_path / "empty.log"
    empty.write_text("", encoding="utf-8")
    assert "none finished" in _background(str(empty))
