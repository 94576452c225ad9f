"""Celery tasks of the manager workspace: thin wrappers around the services, safe to re-run."""

from celery import shared_task

from accounts.models import Team


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
