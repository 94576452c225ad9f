"""Shared writers of the ledger: the stored decision, the attempt an allowed outreach
records, the default case, wrong numbers.

Used by the live gate (`outreach`), the batch gate (`outreach_batch`) and by imports of
historical facts (`attempt_import`).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import Case, ContactAttempt, ContactPoint, Debtor
from collections_app.models.attempt import AttemptStatus
from collections_app.models.case import OPEN_CASE_STATUSES
from compliance.engine import Decision, OutreachContext, context_to_dict
from compliance.engine.evaluate import ENGINE_VERSION
from compliance.models import ComplianceDecision, Purpose


def require_writer(actor: User | None) -> None:
    # Defence in depth: the edges check roles too, but a read-only role never writes here.
    if actor is not None and not actor.can_write:
        raise PermissionDenied(_("Auditors have read-only access."))


def decision_purpose(purpose: str) -> str:
    return purpose if purpose in Purpose.values else Purpose.LIVE


def decision_build(
    *,
    ctx: OutreachContext,
    decision: Decision,
    debtor_id: int,
    actor: User | None,
    actor_label: str,
    purpose: str,
) -> ComplianceDecision:
    """The append-only decision row, unsaved, with everything needed to replay it (the one
    gate and the batch gate both write exactly this)."""
    return ComplianceDecision(
        evaluated_at=ctx.at,
        actor=actor,
        actor_label=actor_label[:100],
        debtor_id=debtor_id,
        contact_point_id=ctx.contact_point.id,
        channel=ctx.channel,
        purpose=decision_purpose(purpose),
        allowed=decision.allowed,
        reasons=[r.to_dict() for r in decision.reasons],
        warnings=[w.to_dict() for w in decision.warnings],
        next_allowed_at=decision.next_allowed_at,
        inputs={"context": context_to_dict(ctx), "evaluated": decision.inputs},
        engine_version=str(decision.inputs.get("engine_version", ENGINE_VERSION)),
    )


def attempt_initiated_build(
    *,
    ctx: OutreachContext,
    decision_row: ComplianceDecision,
    debtor: Debtor,
    case: Case | None,
    actor: User | None,
    source: str,
    id: int | None = None,
) -> ContactAttempt:
    """The attempt an allowed outreach records, unsaved: outbound, initiated at the decision's
    instant, tied to its decision (the one gate and the batch gate both write exactly this)."""
    return ContactAttempt(
        id=id,
        case=case,
        debtor=debtor,
        contact_point_id=ctx.contact_point.id,
        person=ctx.person,
        channel=ctx.channel,
        direction="outbound",
        occurred_at=ctx.at,
        status=AttemptStatus.INITIATED,
        actor=actor,
        source=source,
        decision=decision_row,
    )


def decision_store(
    *,
    ctx: OutreachContext,
    decision: Decision,
    debtor_id: int,
    actor: User | None,
    actor_label: str,
    purpose: str,
) -> ComplianceDecision:
    """Write the append-only decision with everything needed to replay it."""
    row = decision_build(
        ctx=ctx,
        decision=decision,
        debtor_id=debtor_id,
        actor=actor,
        actor_label=actor_label,
        purpose=purpose,
    )
    row.save(force_insert=True)
    return row


def default_case(*, debtor_id: int, debt_ids: frozenset[int]) -> Case | None:
    """The debtor's open case holding these debts, else the debtor's latest case."""
    cases = Case.objects.filter(debtor_id=debtor_id)
    if debt_ids:
        holding = (
            cases.filter(status__in=OPEN_CASE_STATUSES, debts__in=debt_ids)
            .order_by("-opened_at", "-id")
            .first()
        )
        if holding is not None:
            return holding
    return cases.order_by("-opened_at", "-id").first()


def contact_point_mark_wrong(*, contact_point_id: int, at: datetime) -> None:
    cp = ContactPoint.objects.select_for_update().get(pk=contact_point_id)
    if not cp.wrong_number:
        cp.wrong_number = True
        cp.wrong_number_at = at
        cp.save(update_fields=["wrong_number", "wrong_number_at"])  # keeps its history
