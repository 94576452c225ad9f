"""Sending a batch of claimed reminders: one gate reservation for the batch, one provider call
per message, outcomes recorded a few at a time.

The steps and states are those of `dispatch.reminder_process`, for many reminders at once:

1. compare-and-swap `claimed -> sending` for the whole batch, committed before anything else;
   ids that are not "claimed" (a second delivery of the task, a stuck row enqueued again) go
   through `reminder_process` one by one, which resumes or reports them;
2. reminders no longer due are cancelled; broken promises are applied;
3. one transaction: the gate judges every reminder (`outreach_reserve_many`, the same
   decisions as `outreach_reserve` one after the other), the messages of the allowed ones are
   created in status "sending", and every reminder's new state is written with its history row;
4. after commit, each message goes to its channel (one call each; the HTTP gateway retries 5xx
   with backoff per message and fails 4xx at once), and the outcomes are recorded in small
   groups (`messages_record_outcomes`), so a worker killed mid-batch leaves at most a group of
   sent messages without their outcome: resumed with the same idempotency key by a gateway that
   deduplicates, otherwise failed as "delivery unknown", never sent twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from collections_app.models import Case, Reminder, ReminderKind, ReminderStatus
from compliance.services.outreach_batch import OutreachRequest, outreach_reserve_many
from messaging.channels import SendError, backend_for
from messaging.models import OutboundMessage

from .bulk import rows_update_with_history
from .content import reminder_render
from .dispatch import (
    TIME_OF_DAY_CODES,
    _no_longer_due,
    _promise_broken_apply,
    reminder_message,
    reminder_process,
)
from .reminders import NO_LONGER_DUE
from .send import messages_record_outcomes, outgoing

log = logging.getLogger(__name__)

S = ReminderStatus
# Outcomes are recorded after this many messages or this many seconds, whichever comes first:
# the most a killed worker can leave without an outcome.
OUTCOME_GROUP = 200
OUTCOME_EVERY_SECONDS = 1.0
REMINDER_FIELDS = ["status", "reasons", "due_at", "attempt", "last_error", "updated_at"]


def _first_creditors(case_ids: Sequence[int]) -> dict[int, str]:
    """The creditor of each case's first debt (by id), as `reminder_render` looks it up."""
    creditors: dict[int, str] = {}
    for case_id, creditor in (
        Case.debts.through.objects.filter(case_id__in=case_ids)
        .order_by("case_id", "debt_id")
        .values_list("case_id", "debt__creditor")
    ):
        creditors.setdefault(case_id, creditor)
    return creditors


def _take(reminder_ids: Sequence[int]) -> list[int]:
    """Committed compare-and-swap `claimed -> sending` for the batch; the ids taken."""
    now = timezone.now()
    with transaction.atomic():
        taken = list(
            Reminder.objects.select_for_update()
            .filter(pk__in=reminder_ids, status=S.CLAIMED)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if taken:
            Reminder.objects.filter(pk__in=taken).update(
                status=S.SENDING, tries=F("tries") + 1, updated_at=now
            )
    return taken


def _cancel(reminder: Reminder, code: str, message: str) -> None:
    reminder.status = S.CANCELLED
    reminder.reasons = [{"code": code, "rule": "", "message": message}]


def reminders_process(*, reminder_ids: Sequence[int]) -> dict[int, str]:
    """Send a batch of claimed reminders through the gate. Safe to run twice: a reminder is
    sent only by the run that moved it from "claimed" to "sending". Returns each reminder's
    status afterwards."""
    ids = sorted(set(reminder_ids))
    taken = _take(ids)
    statuses: dict[int, str] = {}
    for reminder_id in sorted(set(ids) - set(taken)):
        statuses[reminder_id] = reminder_process(reminder_id=reminder_id)
    if not taken:
        return statuses

    reminders = list(
        Reminder.objects.select_related(
            "case__debtor", "contact_point", "installment__plan", "promise"
        )
        .filter(pk__in=taken)
        .order_by("due_at", "id")
    )
    to_gate: list[Reminder] = []
    for reminder in reminders:
        if _no_longer_due(reminder):
            _cancel(
                reminder, NO_LONGER_DUE, gettext("Paid, cancelled or closed before it was sent.")
            )
            continue
        if reminder.kind == ReminderKind.PROMISE_BROKEN:
            _promise_broken_apply(reminder)
        if reminder.contact_point is None:
            _cancel(reminder, "NO_CONTACT_POINT", gettext("No contact point to send it to."))
            continue
        to_gate.append(reminder)

    creditors = _first_creditors([r.case_id for r in to_gate])
    messages: list[OutboundMessage] = []
    with transaction.atomic():
        results = outreach_reserve_many(
            requests=[
                OutreachRequest(
                    contact_point=r.contact_point,
                    channel=r.channel,
                    case=r.case,
                    actor_label=f"reminder:{r.pk}",
                )
                for r in to_gate
            ],
            actor=None,
            source="reminder",
            purpose="reminder",
        )
        for reminder, result in zip(to_gate, results, strict=True):
            if isinstance(result, ValidationError):
                # The single path raises here and the row is retried until it gives up; the
                # request can never pass (channel and contact point do not fit), so say why now.
                reminder.status = S.FAILED
                reminder.last_error = "; ".join(result.messages)
                continue
            decision = result.decision
            if not result.allowed:
                reminder.reasons = list(decision.reasons)
                codes = {r.get("code") for r in reminder.reasons}
                if decision.next_allowed_at is not None and codes <= TIME_OF_DAY_CODES:
                    reminder.status = S.DEFERRED
                    reminder.due_at = decision.next_allowed_at
                else:
                    reminder.status = S.CANCELLED
                continue
            subject, body = reminder_render(
                reminder=reminder, creditor=creditors.get(reminder.case_id, "")
            )
            messages.append(
                reminder_message(
                    reminder=reminder, attempt=result.attempt, subject=subject, body=body
                )
            )
            reminder.attempt = result.attempt
        OutboundMessage.objects.bulk_create(messages)
        now = timezone.now()
        for reminder in reminders:
            reminder.updated_at = now
            statuses[reminder.pk] = reminder.status
        rows_update_with_history(Reminder, reminders, REMINDER_FIELDS, now=now)
    # Committed: every message exists in "sending" before its provider hears of it.
    statuses.update(_deliver(messages))
    return statuses


def _deliver(messages: Sequence[OutboundMessage]) -> dict[int, str]:
    """One provider call per message; outcomes recorded in groups. Returns reminder statuses."""
    backends = {}
    pending: list[tuple[int, str, str]] = []
    recorded: dict[int, str] = {}
    flushed = time.monotonic()

    def flush() -> None:
        nonlocal flushed
        recorded.update(messages_record_outcomes(outcomes=pending))
        pending.clear()
        flushed = time.monotonic()

    try:
        for message in messages:
            provider_id, error = "", ""
            try:
                if message.channel not in backends:
                    backends[message.channel] = backend_for(message.channel)
                provider_id = backends[message.channel].send(outgoing(message))
            except SendError as exc:
                error = str(exc) or exc.__class__.__name__
                log.warning("message %s to %s failed: %s", message.pk, message.channel, error)
            pending.append((message.pk, provider_id, error))
            if len(pending) >= OUTCOME_GROUP or time.monotonic() - flushed >= OUTCOME_EVERY_SECONDS:
                flush()
    finally:
        # Also when a send raised something unexpected: what was sent is recorded as sent,
        # and the rest stays "sending" for the stuck-row scan to resume or report.
        if pending:
            flush()
    return {m.reminder_id: recorded.get(m.pk, "sending") for m in messages}
