"""The compliance gate: the only way an outreach to a debtor is recorded (DESIGN section 2).

`outreach_reserve` locks the debtor row, builds the engine's context, evaluates, stores an
append-only `ComplianceDecision` and, when allowed, the `ContactAttempt` in one transaction.
Because every writer of a debtor's ledger takes that row lock first, two collectors (or a
collector and a reminder worker) can never both take the last permitted call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import (
    Case,
    ContactAttempt,
    ContactPoint,
    Debt,
    Debtor,
)
from collections_app.models.attempt import AttemptStatus, Channel, Outcome, Source
from compliance.engine import evaluate
from compliance.models import ComplianceDecision, Consent, ConsentKind, Purpose

# Imports of historical facts live in their own module; the names belong to this contract.
from compliance.services.attempt_import import (
    IMPORT_CLOCK_SKEW,
    ImportResult,
    ImportRowsInvalid,
    attempts_import,
)
from compliance.services.context import (
    CHANNEL_KINDS,
    DEBTOR_FIELDS,
    LEDGER_DAYS,
    DebtorSnapshot,
    context_build,
    snapshots_load,
)
from compliance.services.house import house_policy_cached
from compliance.services.ledger import (
    attempt_initiated_build,
    contact_point_mark_wrong,
    decision_store,
    default_case,
    require_writer,
)

# How long a "call me back at ..." consent lasts after the time asked for. The engine ends it
# sooner on its own: after the 7th local day counting the day given, or at the next
# conversation about the debt (12 CFR 1006.14(b)(3)(i)).
CALL_BACK_GRACE = timedelta(hours=24)


@dataclass(frozen=True)
class OutreachResult:
    decision: ComplianceDecision
    attempt: ContactAttempt | None

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


def _check_channel(channel: str) -> None:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel %(c)s.") % {"c": channel}})


def _engine_purpose(purpose: str) -> str:
    return "final_notice" if purpose == "final_notice" else "collection"


def _outreach_debt_ids(snap: DebtorSnapshot, debts: Sequence[Debt | int] | None) -> frozenset[int]:
    """The debts the outreach concerns; None = every open debt of the debtor."""
    if debts is None:
        return snap.open_debt_ids
    ids = frozenset(d if isinstance(d, int) else d.pk for d in debts)
    foreign = sorted(ids - set(snap.debts))
    if foreign:
        raise ValidationError(
            {"debts": _("Debts %(ids)s do not belong to this debtor.") % {"ids": foreign}}
        )
    return ids


def outreach_reserve(
    *,
    contact_point: ContactPoint,
    channel: str,
    actor: User | None,
    debts: Sequence[Debt] | None = None,
    case: Case | None = None,
    at: datetime | None = None,
    source: str = "live",
    purpose: str = "live",
    actor_label: str = "",
    dry_run: bool = False,
) -> OutreachResult:
    """Judge one outreach and, if allowed and not a dry run, record it as an initiated attempt.

    The decision is stored in every case (blocked, allowed, dry run).
    """
    require_writer(actor)
    _check_channel(channel)
    if source not in Source.values:
        raise ValidationError({"source": _("Unknown source %(s)s.") % {"s": source}})
    if contact_point.kind not in CHANNEL_KINDS.get(channel, ()):
        raise ValidationError(
            {
                "channel": _("A %(channel)s cannot go to a %(kind)s contact point.")
                % {"channel": channel, "kind": contact_point.kind}
            }
        )
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("The time must include its UTC offset.")})
    with transaction.atomic():
        # Lock order: debtor, then case (STYLE rule 5). Every ledger writer takes this lock.
        debtor = (
            Debtor.objects.select_for_update().only(*DEBTOR_FIELDS).get(pk=contact_point.debtor_id)
        )
        if case is not None and case.debtor_id != debtor.pk:
            raise ValidationError({"case": _("The case is not this debtor's.")})
        snap = snapshots_load(debtors=[debtor], since=at - timedelta(days=LEDGER_DAYS), until=None)[
            debtor.pk
        ]
        debt_ids = _outreach_debt_ids(snap, debts)
        ctx = context_build(
            snap=snap,
            contact_point_id=contact_point.pk,
            channel=channel,
            debt_ids=debt_ids,
            at=at,
            house=house_policy_cached(),
            purpose=_engine_purpose(purpose),
        )
        decision = evaluate(ctx)
        stored = decision_store(
            ctx=ctx,
            decision=decision,
            debtor_id=debtor.pk,
            actor=actor,
            actor_label=actor_label,
            purpose=Purpose.CHECK if dry_run else purpose,
        )
        attempt = None
        if decision.allowed and not dry_run:
            attempt = attempt_initiated_build(
                ctx=ctx,
                decision_row=stored,
                debtor=debtor,
                case=case or default_case(debtor_id=debtor.pk, debt_ids=debt_ids),
                actor=actor,
                source=source,
            )
            attempt.save(force_insert=True)
            attempt.debts.set(sorted(debt_ids))
        return OutreachResult(decision=stored, attempt=attempt)


def attempt_record_outcome(
    *,
    attempt_id: int,
    outcome: str,
    actor: User | None,
    debts_discussed: Sequence[int] | None = None,
    notes: str = "",
    call_back_at: datetime | None = None,
) -> ContactAttempt:
    """Set the outcome of an attempt, once. A correction is a new attempt pointing at it."""
    require_writer(actor)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome %(o)s.") % {"o": outcome}})
    with transaction.atomic():
        # Debtor first, as the gate does: an outcome changes what the next decision counts.
        debtor_id = ContactAttempt.objects.values_list("debtor_id", flat=True).get(pk=attempt_id)
        Debtor.objects.select_for_update().filter(pk=debtor_id).first()
        attempt = ContactAttempt.objects.select_for_update().get(pk=attempt_id)
        if attempt.outcome:
            raise ValidationError(
                {"outcome": _("This attempt already has an outcome; record a correction instead.")}
            )
        discussed: list[int] = []
        if debts_discussed:
            discussed = sorted(set(debts_discussed))
            known = set(
                Debt.objects.filter(debtor_id=debtor_id, pk__in=discussed).values_list(
                    "pk", flat=True
                )
            )
            foreign = [d for d in discussed if d not in known]
            if foreign:
                raise ValidationError(
                    {
                        "debts_discussed": _("Debts %(ids)s do not belong to this debtor.")
                        % {"ids": foreign}
                    }
                )
        now = timezone.now()
        if call_back_at is not None:
            if timezone.is_naive(call_back_at):
                raise ValidationError({"call_back_at": _("The time must include its UTC offset.")})
            if call_back_at <= now:
                raise ValidationError({"call_back_at": _("The call-back time must be ahead.")})
        attempt.outcome = outcome
        attempt.status = AttemptStatus.COMPLETED
        attempt.outcome_recorded_at = now
        if notes:
            attempt.notes = f"{attempt.notes}\n{notes}".strip() if attempt.notes else notes
        attempt.save(update_fields=["outcome", "status", "outcome_recorded_at", "notes"])
        if discussed:
            attempt.debts_discussed.set(discussed)
        if outcome == Outcome.WRONG_NUMBER and attempt.contact_point_id is not None:
            # Calls to a number that is not the person's stop counting for them
            # (comment 14(b)(2)(i)-3); the flag also blocks further use (WRONG_NUMBER).
            contact_point_mark_wrong(contact_point_id=attempt.contact_point_id, at=now)
        if call_back_at is not None:
            # "Call me back on Monday": consent given directly to the collector, for the debts
            # discussed (all of the attempt's when none named), at the number reached.
            consent = Consent.objects.create(
                debtor_id=debtor_id,
                kind=ConsentKind.CALL_BACK,
                contact_point_id=attempt.contact_point_id,
                given_at=now,
                expires_at=call_back_at + CALL_BACK_GRACE,
                recorded_by=actor,
                notes=_("Asked to be called back at %(t)s.") % {"t": call_back_at.isoformat()},
            )
            consent.debts.set(discussed or list(attempt.debts.values_list("pk", flat=True)))
        return attempt


__all__ = [
    "IMPORT_CLOCK_SKEW",
    "ImportResult",
    "ImportRowsInvalid",
    "OutreachResult",
    "attempt_record_outcome",
    "attempts_import",
    "decision_store",
    "outreach_reserve",
]
