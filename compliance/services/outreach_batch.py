"""The compliance gate for many outreaches at once (scheduled reminders, DESIGN section 2).

`outreach_reserve_many` gives, for each request, exactly the decision and attempt that calling
`outreach.outreach_reserve` for the requests one after the other would give, with a fixed
number of queries for the whole batch instead of about fifteen per request:

- the debtors of the batch are locked in one `SELECT ... ORDER BY id FOR UPDATE`. Locking in
  id order means two batches, or a batch and the single gate (which locks one debtor row),
  can wait for each other but never deadlock;
- their snapshots are loaded in one go (`context.snapshots_load`);
- the requests are evaluated in the order given, by the same engine on the same inputs as the
  single gate. An allowed request's attempt is added to its debtor's in-memory ledger before
  the next request is evaluated, so a second outreach to the same debtor in the batch counts
  the first, as it would one call later;
- decisions, attempts and the attempts' history rows are written with bulk inserts. Attempt
  ids are taken from the table's sequence before evaluation, because the ledger a later
  decision stores (and `compliance_replay` re-evaluates) names the earlier attempt by id.

A request the single gate would refuse with a `ValidationError` (unknown channel, a channel
the contact point cannot carry, another debtor's case) gets that error as its result and
writes nothing, so one bad row does not stop the batch.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import User
from collections_app.models import Case, ContactAttempt, ContactPoint, Debtor
from collections_app.models.attempt import AttemptStatus, Outcome, Source
from compliance.engine import LedgerEntry, evaluate
from compliance.models import ComplianceDecision
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
    decision_build,
    default_case,
    require_writer,
)
from compliance.services.outreach import (
    OutreachResult,
    _check_channel,
    _engine_purpose,
)
from exchange.services.bulk import history_copy


@dataclass(frozen=True)
class OutreachRequest:
    """One outreach to judge: what `outreach_reserve` takes per call (its debts: every open
    debt of the debtor)."""

    contact_point: ContactPoint
    channel: str
    case: Case | None = None
    actor_label: str = ""


def _request_error(request: OutreachRequest) -> ValidationError | None:
    """The checks `outreach_reserve` makes before it locks anything, per request."""
    try:
        _check_channel(request.channel)
    except ValidationError as exc:
        return exc
    if request.contact_point.kind not in CHANNEL_KINDS.get(request.channel, ()):
        return ValidationError(
            {
                "channel": _("A %(channel)s cannot go to a %(kind)s contact point.")
                % {"channel": request.channel, "kind": request.contact_point.kind}
            }
        )
    if request.case is not None and request.case.debtor_id != request.contact_point.debtor_id:
        return ValidationError({"case": _("The case is not this debtor's.")})
    return None


def _attempt_ids_take(count: int) -> list[int]:
    """`count` fresh ids from the attempts' sequence (unused ones only leave a gap)."""
    if count == 0:
        return []
    table = ContactAttempt._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # SQLite (the embedded default): called inside the batch's transaction, which
            # holds the database's write lock from BEGIN (IMMEDIATE), so the ids after the
            # highest ever given are this batch's; AUTOINCREMENT moves past them on insert.
            cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608
            top = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
            return list(range(top + 1, top + 1 + count))
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _attempts_create(attempts: list[ContactAttempt]) -> None:
    """Insert the attempts with their "created" history rows. On PostgreSQL the history rows
    are copied by the database from the rows just written (the import's pattern)."""
    if connection.vendor != "postgresql":
        bulk_create_with_history(attempts, ContactAttempt, default_date=timezone.now())
        return
    ContactAttempt.objects.bulk_create(attempts)
    history_copy(
        ContactAttempt, [a.pk for a in attempts], actor_id=None, now=timezone.now(), kind="+"
    )


def _attempts_update(attempts: list[ContactAttempt], *, now: datetime) -> None:
    """Write the outcome fields of `attempts`, with a "changed" history row each. Attempts that
    end alike (the same outcome and notes: most of a batch) share one UPDATE."""
    fields = ["outcome", "status", "outcome_recorded_at", "notes"]
    if not attempts:
        return
    if connection.vendor != "postgresql":
        bulk_update_with_history(attempts, ContactAttempt, fields, default_date=now)
        return
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for attempt in attempts:
        groups[tuple(getattr(attempt, f) for f in fields)].append(attempt.pk)
    for values, ids in groups.items():
        ContactAttempt.objects.filter(pk__in=ids).update(**dict(zip(fields, values, strict=True)))
    history_copy(ContactAttempt, [a.pk for a in attempts], actor_id=None, now=now, kind="~")


def _ledger_add(snap: DebtorSnapshot, entry: LedgerEntry) -> None:
    """Add an attempt where `snapshots_load` would have put it (ordered by time, then id)."""
    keys = [(e.occurred_at, e.id) for e in snap.ledger]
    snap.ledger.insert(bisect.bisect_right(keys, (entry.occurred_at, entry.id)), entry)


def outreach_reserve_many(
    *,
    requests: Sequence[OutreachRequest],
    actor: User | None,
    at: datetime | None = None,
    source: str = "live",
    purpose: str = "live",
) -> list[OutreachResult | ValidationError]:
    """Judge each request as `outreach_reserve` would, one after the other in the order given,
    and record the allowed ones as initiated attempts. One result per request, in order: the
    stored decision and attempt, or the `ValidationError` the single gate would have raised.
    """
    require_writer(actor)
    if source not in Source.values:
        raise ValidationError({"source": _("Unknown source %(s)s.") % {"s": source}})
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("The time must include its UTC offset.")})
    results: list[OutreachResult | ValidationError | None] = [
        _request_error(request) for request in requests
    ]
    valid = [i for i, r in enumerate(results) if r is None]
    if not valid:
        return results  # type: ignore[return-value]
    house = house_policy_cached()
    engine_purpose = _engine_purpose(purpose)
    with transaction.atomic():
        debtor_ids = sorted({requests[i].contact_point.debtor_id for i in valid})
        # One statement, rows locked in id order (the sort runs below the row locking).
        debtors = list(
            Debtor.objects.select_for_update()
            .only(*DEBTOR_FIELDS)
            .filter(pk__in=debtor_ids)
            .order_by("id")
        )
        snaps = snapshots_load(debtors=debtors, since=at - timedelta(days=LEDGER_DAYS), until=None)
        attempt_ids = iter(_attempt_ids_take(len(valid)))

        evaluated: list[tuple[int, ComplianceDecision, ContactAttempt | None, frozenset[int]]] = []
        for i in valid:
            request = requests[i]
            snap = snaps[request.contact_point.debtor_id]
            debt_ids = snap.open_debt_ids
            ctx = context_build(
                snap=snap,
                contact_point_id=request.contact_point.pk,
                channel=request.channel,
                debt_ids=debt_ids,
                at=at,
                house=house,
                purpose=engine_purpose,
            )
            decision = evaluate(ctx)
            row = decision_build(
                ctx=ctx,
                decision=decision,
                debtor_id=snap.debtor.pk,
                actor=actor,
                actor_label=request.actor_label,
                purpose=purpose,
            )
            attempt = None
            if decision.allowed:
                attempt = attempt_initiated_build(
                    ctx=ctx,
                    # Saved first (bulk insert below); the attempt's decision id follows it.
                    decision_row=row,
                    debtor=snap.debtor,
                    case=request.case or default_case(debtor_id=snap.debtor.pk, debt_ids=debt_ids),
                    actor=actor,
                    source=source,
                    id=next(attempt_ids),
                )
                # The next request for this debtor counts this attempt, as the single gate
                # would find it in the ledger (initiated: no outcome yet).
                _ledger_add(
                    snap,
                    LedgerEntry(
                        id=attempt.id,
                        occurred_at=at,
                        channel=request.channel,
                        direction="outbound",
                        outcome=None,
                        contact_point_id=request.contact_point.pk,
                        person=ctx.person or "debtor",
                        debt_ids=debt_ids,
                        debts_discussed=frozenset(),
                        source=source,
                    ),
                )
            evaluated.append((i, row, attempt, debt_ids))

        ComplianceDecision.objects.bulk_create([row for _i, row, _a, _d in evaluated])
        allowed = [(attempt, debt_ids) for _i, _row, attempt, debt_ids in evaluated if attempt]
        if allowed:
            _attempts_create([attempt for attempt, _d in allowed])
            through = ContactAttempt.debts.through
            through.objects.bulk_create(
                [
                    through(contactattempt_id=attempt.pk, debt_id=debt_id)
                    for attempt, debt_ids in allowed
                    for debt_id in sorted(debt_ids)
                ]
            )
        for i, row, attempt, _d in evaluated:
            results[i] = OutreachResult(decision=row, attempt=attempt)
    return results  # type: ignore[return-value]


def attempt_record_outcome_many(
    *, outcomes: Mapping[int, tuple[str, str]], actor: User | None
) -> set[int]:
    """Set the outcome of many attempts (`{attempt_id: (outcome, notes)}`) as
    `outreach.attempt_record_outcome` does one by one when no debts are discussed and no
    call-back is asked for. Returns the ids left alone because they already had an outcome
    (the first word stands)."""
    require_writer(actor)
    for outcome, _notes in outcomes.values():
        if outcome not in Outcome.values or outcome == Outcome.WRONG_NUMBER:
            # A wrong number also flags the contact point: one at a time, by the single path.
            raise ValidationError({"outcome": _("Unknown outcome %(o)s.") % {"o": outcome}})
    if not outcomes:
        return set()
    with transaction.atomic():
        # Debtors first, in id order, as the gate does: an outcome changes what the next
        # decision counts.
        debtor_ids = sorted(
            set(
                ContactAttempt.objects.filter(pk__in=list(outcomes)).values_list(
                    "debtor_id", flat=True
                )
            )
        )
        list(
            Debtor.objects.select_for_update()
            .filter(pk__in=debtor_ids)
            .order_by("id")
            .values_list("id", flat=True)
        )
        attempts = list(
            ContactAttempt.objects.select_for_update().filter(pk__in=list(outcomes)).order_by("id")
        )
        now = timezone.now()
        done = {a.pk for a in attempts if a.outcome}
        changed = [a for a in attempts if not a.outcome]
        for attempt in changed:
            outcome, notes = outcomes[attempt.pk]
            attempt.outcome = outcome
            attempt.status = AttemptStatus.COMPLETED
            attempt.outcome_recorded_at = now
            if notes:
                attempt.notes = f"{attempt.notes}\n{notes}".strip() if attempt.notes else notes
        _attempts_update(changed, now=now)
    return done


__all__ = ["OutreachRequest", "attempt_record_outcome_many", "outreach_reserve_many"]
