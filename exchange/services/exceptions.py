"""The reconciliation exceptions queue: resolving one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.models import ExceptionStatus, ReconciliationException, Resolution


@transaction.atomic
def exception_resolve(
    *, exception_id: int, actor: User, resolution: str, note: str
) -> ReconciliationException:
    """Close an open exception with a resolution and a note (who and when are kept)."""
    if not (actor.is_manager or actor.is_admin_role) or not actor.can_write:
        raise PermissionDenied(_("Only managers and administrators resolve exceptions."))
    if resolution not in Resolution.values:
        raise ValidationError({"resolution": _("Choose a resolution.")})
    if not note.strip():
        raise ValidationError({"note": _("Say what was found.")})
    exception = (
        ReconciliationException.objects.writable_by(actor).select_for_update().get(pk=exception_id)
    )
    if exception.status != ExceptionStatus.OPEN:
        raise ValidationError(_("This exception is already resolved."))
    exception.status = ExceptionStatus.RESOLVED
    exception.resolution = resolution
    exception.resolution_note = note.strip()
    exception.resolved_by = actor
    exception.resolved_at = timezone.now()
    exception.save(
        update_fields=["status", "resolution", "resolution_note", "resolved_by", "resolved_at"]
    )
    return exception
