"""The compliance gate: the only way an outreach to a debtor is recorded (DESIGN section 2).

`outreach_reserve` locks the debtor row, builds the engine's context, evaluates, stores an
append-only `ComplianceDecision` and, when allowed, the `ContactAttempt` in one transaction.
Because every writer of a debtor's ledger takes that row lock first, two collectors (or a
collector and a reminder worker) can never both take the last permitted call.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
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
from collections_app.models.case import OPEN_CASE_STATUSES
from compliance.engine import Decision, LedgerEntry, OutreachContext, context_to_dict, evaluate
from compliance.engine.evaluate import ENGINE_VERSION
from compliance.models import ComplianceDecision, Consent, ConsentKind, Purpose
from compliance.services.context import (
    LEDGER_DAYS,
    DebtorSnapshot,
    context_build,
    snapshots_load,
)
from compliance.services.house import house_policy_cached

# How long a "call me back at ..." consent lasts after the time asked for. The engine ends it
# sooner on its own: after the 7th local day counting the day given, or at the next
# conversation about the debt (12 CFR 1006.14(b)(3)(i)).
CALL_BACK_GRACE = timedelta(hours=24)
# Feeds stamp times with their own clocks; a few minutes ahead of ours is not "the future".
IMPORT_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class OutreachResult:
    decision: ComplianceDecision
    attempt: ContactAttempt | None

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


@dataclass(frozen=True)
class ImportResult:
    created: int
    flagged: list[dict[str, Any]]
    # Rows whose external reference was imported before: a re-delivered batch changes nothing.
    skipped: list[int] = dataclasses.field(default_factory=list)


def _require_writer(actor: User | None) -> None:
    # Defence in depth: the edges check roles too, but a read-only role never writes here.
    if actor is not None and not actor.can_write:
        raise PermissionDenied(_("Auditors have read-only access."))


def _check_channel(channel: str) -> None:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel %(c)s.") % {"c": channel}})


def _engine_purpose(purpose: str) -> str:
    return "final_notice" if purpose == "final_notice" else "collection"


def _decision_purpose(purpose: str) -> str:
    return purpose if purpose in Purpose.values else Purpose.LIVE


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
    return ComplianceDecision.objects.create(
        evaluated_at=ctx.at,
        actor=actor,
        actor_label=actor_label[:100],
        debtor_id=debtor_id,
        contact_point_id=ctx.contact_point.id,
        channel=ctx.channel,
        purpose=_decision_purpose(purpose),
        allowed=decision.allowed,
        reasons=[r.to_dict() for r in decision.reasons],
        warnings=[w.to_dict() for w in decision.warnings],
        next_allowed_at=decision.next_allowed_at,
        inputs={"context": context_to_dict(ctx), "evaluated": decision.inputs},
        engine_version=str(decision.inputs.get("engine_version", ENGINE_VERSION)),
    )


def _default_case(*, debtor_id: int, debt_ids: frozenset[int]) -> Case | None:
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
    _require_writer(actor)
    _check_channel(channel)
    if source not in Source.values:
        raise ValidationError({"source": _("Unknown source %(s)s.") % {"s": source}})
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("The time must include its UTC offset.")})
    with transaction.atomic():
        # Lock order: debtor, then case (STYLE rule 5). Every ledger writer takes this lock.
        debtor = Debtor.objects.select_for_update().get(pk=contact_point.debtor_id)
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
            attempt = ContactAttempt.objects.create(
                case=case or _default_case(debtor_id=debtor.pk, debt_ids=debt_ids),
                debtor=debtor,
                contact_point_id=contact_point.pk,
                person=ctx.person,
                channel=channel,
                direction="outbound",
                occurred_at=at,
                status=AttemptStatus.INITIATED,
                actor=actor,
                source=source,
                decision=stored,
            )
            attempt.debts.set(sorted(debt_ids))
        return OutreachResult(decision=stored, attempt=attempt)


def _contact_point_mark_wrong(*, contact_point_id: int, at: datetime) -> None:
    cp = ContactPoint.objects.select_for_update().get(pk=contact_point_id)
    if not cp.wrong_number:
        cp.wrong_number = True
        cp.wrong_number_at = at
        cp.save(update_fields=["wrong_number", "wrong_number_at"])  # keeps its history


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
    _require_writer(actor)
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
            _contact_point_mark_wrong(contact_point_id=attempt.contact_point_id, at=now)
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


class ImportRowsInvalid(ValidationError):
    """Rows of an import that cannot be stored; `rows` maps each row index to its errors."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]) -> None:
        self.rows = rows
        super().__init__(
            _("Rows %(rows)s are invalid; nothing was imported.") % {"rows": sorted(rows)}
        )


def _parse_import_row(
    index: int, row: dict[str, Any], cps: dict[int, ContactPoint], now: datetime
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    cp_ref = row.get("contact_point")
    cp_id = cp_ref.pk if isinstance(cp_ref, ContactPoint) else cp_ref
    cp = cps.get(cp_id) if isinstance(cp_id, int) else None
    if cp is None:
        errors["contact_point"] = [_("Unknown contact point.")]
    channel = row.get("channel")
    if channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    direction = row.get("direction") or "outbound"
    if direction not in ("outbound", "inbound"):
        errors["direction"] = [_("Direction must be outbound or inbound.")]
    outcome = row.get("outcome") or ""
    if outcome not in Outcome.values:
        errors["outcome"] = [_("An imported attempt needs a known outcome.")]
    occurred_at = row.get("occurred_at")
    if isinstance(occurred_at, str):
        try:
            occurred_at = datetime.fromisoformat(occurred_at)
        except ValueError:
            occurred_at = None
    if not isinstance(occurred_at, datetime) or timezone.is_naive(occurred_at):
        errors["occurred_at"] = [_("A time with its UTC offset is required.")]
    elif occurred_at > now + IMPORT_CLOCK_SKEW:
        errors["occurred_at"] = [_("A historical attempt cannot be in the future.")]
    debt_refs = row.get("debts")
    debt_ids: frozenset[int] | None = None
    if debt_refs is not None:
        debt_ids = frozenset(d.pk if isinstance(d, Debt) else d for d in debt_refs)
    if errors:
        return None, errors
    return {
        "cp": cp,
        "channel": channel,
        "direction": direction,
        "outcome": outcome,
        "occurred_at": occurred_at,
        "debt_ids": debt_ids,
        "notes": str(row.get("notes") or ""),
        "external_reference": str(row.get("external_reference") or "")[:100],
    }, {}


def attempts_import(*, rows: Sequence[dict[str, Any]], actor: User | None) -> ImportResult:
    """Store historical attempts (dialer or agency sync, migration) as facts.

    Rows are taken in time order; each outbound row is judged against the ledger before it
    (the database's and the earlier rows of the batch), its decision stored with purpose
    "import", and the attempt stored even when it broke a rule, flagged with the reasons.
    Inbound rows are not outreach: stored without a decision, never flagged. The batch is
    atomic: any invalid row raises `ImportRowsInvalid` and nothing is saved.
    """
    _require_writer(actor)
    now = timezone.now()
    cp_ids = set()
    for row in rows:
        ref = row.get("contact_point")
        cp_ids.add(ref.pk if isinstance(ref, ContactPoint) else ref)
    cps = {
        cp.pk: cp
        for cp in ContactPoint.objects.filter(pk__in=[i for i in cp_ids if isinstance(i, int)])
    }
    parsed: list[tuple[int, dict[str, Any]]] = []
    errors: dict[int, dict[str, list[str]]] = {}
    for index, row in enumerate(rows):
        item, row_errors = _parse_import_row(index, row, cps, now)
        if row_errors:
            errors[index] = row_errors
        else:
            parsed.append((index, item))  # type: ignore[arg-type]
    seen_refs: dict[str, int] = {}
    for index, item in parsed:
        ref = item["external_reference"]
        if ref and ref in seen_refs:
            errors[index] = {
                "external_reference": [
                    _("Same reference as row %(row)s.") % {"row": seen_refs[ref]}
                ]
            }
        elif ref:
            seen_refs[ref] = index
    if errors:
        raise ImportRowsInvalid(errors)
    if not parsed:
        return ImportResult(created=0, flagged=[])
    parsed.sort(key=lambda pair: (pair[1]["occurred_at"], pair[0]))
    earliest = parsed[0][1]["occurred_at"]
    house = house_policy_cached()
    flagged: list[dict[str, Any]] = []
    with transaction.atomic():
        debtor_ids = sorted({item["cp"].debtor_id for _i, item in parsed})
        # Lock every debtor of the batch, in id order so two imports cannot deadlock.
        debtors = list(Debtor.objects.select_for_update().filter(pk__in=debtor_ids).order_by("pk"))
        snaps = snapshots_load(debtors=debtors, since=earliest - timedelta(days=LEDGER_DAYS))
        # Checked under the debtor locks, so two deliveries of one batch cannot both insert.
        known_refs = set(
            ContactAttempt.objects.filter(
                source=Source.IMPORT, external_reference__in=list(seen_refs)
            ).values_list("external_reference", flat=True)
        )
        skipped = sorted(i for i, item in parsed if item["external_reference"] in known_refs)
        parsed = [(i, item) for i, item in parsed if item["external_reference"] not in known_refs]
        for index, item in parsed:
            snap = snaps[item["cp"].debtor_id]
            debt_ids = item["debt_ids"]
            if debt_ids is None:
                debt_ids = snap.open_debt_ids
            foreign = sorted(debt_ids - set(snap.debts))
            if foreign:
                raise ImportRowsInvalid(
                    {
                        index: {
                            "debts": [_("Debts %(ids)s are not this debtor's.") % {"ids": foreign}]
                        }
                    }
                )
            flagged_row = _import_one(
                index=index, item=item, snap=snap, debt_ids=debt_ids, house=house, actor=actor
            )
            if flagged_row is not None:
                flagged.append(flagged_row)
    flagged.sort(key=lambda f: f["index"])
    return ImportResult(created=len(parsed), flagged=flagged, skipped=skipped)


def _import_one(
    *,
    index: int,
    item: dict[str, Any],
    snap: DebtorSnapshot,
    debt_ids: frozenset[int],
    house: Any,
    actor: User | None,
) -> dict[str, Any] | None:
    cp: ContactPoint = item["cp"]
    at: datetime = item["occurred_at"]
    cp_info = snap.contact_points[cp.pk]
    stored = None
    reasons: list[dict[str, str]] = []
    if item["direction"] == "outbound":
        ctx = context_build(
            snap=snap,
            contact_point_id=cp.pk,
            channel=item["channel"],
            debt_ids=debt_ids,
            at=at,
            house=house,
        )
        decision = evaluate(ctx)
        stored = decision_store(
            ctx=ctx,
            decision=decision,
            debtor_id=cp.debtor_id,
            actor=actor,
            actor_label="import",
            purpose=Purpose.IMPORT,
        )
        reasons = stored.reasons
    attempt = ContactAttempt.objects.create(
        case=_default_case(debtor_id=cp.debtor_id, debt_ids=debt_ids),
        debtor_id=cp.debtor_id,
        contact_point=cp,
        person=cp_info.person,
        channel=item["channel"],
        direction=item["direction"],
        occurred_at=at,
        status=AttemptStatus.COMPLETED,
        outcome=item["outcome"],
        outcome_recorded_at=at,
        actor=actor,
        source=Source.IMPORT,
        decision=stored,
        flagged=bool(reasons),
        flag_reasons=reasons,
        notes=item["notes"],
        external_reference=item["external_reference"],
    )
    attempt.debts.set(sorted(debt_ids))
    entry = LedgerEntry(
        id=attempt.pk,
        occurred_at=at,
        channel=item["channel"],
        direction=item["direction"],
        outcome=item["outcome"],
        contact_point_id=cp.pk,
        person=cp_info.person,
        debt_ids=debt_ids,
        source=Source.IMPORT,
    )
    bisect.insort(snap.ledger, entry, key=lambda e: e.occurred_at)
    if item["outcome"] == Outcome.WRONG_NUMBER:
        _contact_point_mark_wrong(contact_point_id=cp.pk, at=at)
        snap.contact_points[cp.pk] = dataclasses.replace(cp_info, wrong_number=True)
    if reasons:
        return {"index": index, "reasons": reasons}
    return None
