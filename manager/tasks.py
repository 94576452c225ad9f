"""Celery tasks of the manager workspace: thin wrappers around the services, safe to re-run."""

from celery import shared_task

from accounts.models import Team

# A summary refresh sweeps every case of its scope: seconds at 100,000 cases, a few minutes at
# most at ten times that; the beat sends the next round after five minutes.
SUMMARY_SOFT_LIMIT_S = 240
SUMMARY_REFRESH_EXPIRES_S = 300


@shared_task
def scores_recompute() -> int:
    from manager.services.scoring import scores_recompute as recompute

    return recompute()


@shared_task
def cases_allocate_all() -> int:
    """Allocate the unassigned cases of every team that allocates automatically."""
    from manager.services.allocation import cases_allocate

    assigned = 0
    for team_id in Team.objects.exclude(policy__auto_allocate=False).values_list("id", flat=True):
        assigned += len(cases_allocate(team_id=team_id, actor=None).assigned)
    return assigned


@shared_task
def cases_rotate_all() -> int:
    from manager.services.allocation import cases_rotate

    moved = 0
    for team_id in Team.objects.values_list("id", flat=True):
        moved += len(cases_rotate(team_id=team_id, actor=None).assigned)
    return moved


@shared_task
def month_end_snapshots_refresh() -> int:
    """Nightly: the month just ended (on the 1st) and any month end whose history changed."""
    from manager.services.snapshots import month_end_snapshots_refresh as refresh

    return len(refresh())


@shared_task
def portfolio_summaries_refresh() -> int:
    """Every few minutes: the summary of every dashboard scope for the current day, one scope
    after the other. Each scope is its own task, and each sends the next when it ends (failed
    or not): sent all at once they ran side by side on every worker process, and each keeps
    a database core busy for seconds at a million cases, so collectors' pages waited."""
    from manager.selectors.summary import portfolio_scopes_to_refresh
    from manager.services.summaries import portfolio_summaries_prune

    portfolio_summaries_prune()
    scopes = portfolio_scopes_to_refresh()
    _refresh_send([None if s.team_ids is None else list(s.team_ids) for s in scopes])
    return len(scopes)


def _refresh_send(queue: list[list[int] | None]) -> None:
    if queue:
        portfolio_summary_refresh.apply_async(
            kwargs={"team_ids": queue[0], "then": queue[1:]},
            # A refresh still queued when the next round is sent is of no use any more.
            expires=SUMMARY_REFRESH_EXPIRES_S,
        )


@shared_task(soft_time_limit=SUMMARY_SOFT_LIMIT_S, time_limit=SUMMARY_SOFT_LIMIT_S + 30)
def portfolio_summary_refresh(
    team_ids: list[int] | None, then: list[list[int] | None] | None = None
) -> str:
    """The summary of one scope (None: all teams), computed again: safe to run twice, at once
    or not (the write is an upsert that keeps the latest computation). Then the next scope of
    the round, `then`, is sent, whatever happened here."""
    from django.utils import timezone

    from manager.selectors.summary import PortfolioScope
    from manager.services.summaries import portfolio_summary_refresh as refresh

    scope = PortfolioScope(team_ids=None if team_ids is None else tuple(sorted(set(team_ids))))
    try:
        refresh(scope=scope, last_day=timezone.localdate())
    finally:
        _refresh_send(list(then or []))
    return scope.key
