"""Celery tasks of the compliance app: thin wrappers around the services, safe to re-run."""

from celery import shared_task

# A round recomputes at most this many stored eligibility answers (a few minutes of one
# worker); the beat sends the next round after a minute, and rounds that overlap only repeat
# work.
REFRESH_LIMIT = 50_000
REFRESH_EXPIRES_S = 120


@shared_task(expires=REFRESH_EXPIRES_S)
def eligibility_refresh() -> int:
    """Keep the stored batch eligibility answers fresh (`services.eligibility`)."""
    from compliance.services.eligibility import eligibility_refresh as refresh

    return refresh(limit=REFRESH_LIMIT).computed
