"""Beat jobs of the audit app. Thin: each calls one service; both are safe to run twice."""

from celery import shared_task

from audit.services.chain import chain_seal as chain_seal_service
from audit.services.retention import retention_purge as retention_purge_service


@shared_task(name="audit.tasks.chain_seal")
def chain_seal() -> int:
    """Every minute: append hash-chain links for the decisions and attempts written since."""
    return chain_seal_service()


@shared_task(name="audit.tasks.retention_purge")
def retention_purge() -> dict[str, int]:
    """Daily: delete evidence whose retention period has run out and no legal hold covers."""
    report = retention_purge_service()
    return {"purged": report.purged, "held": report.held, "kept": report.kept}
