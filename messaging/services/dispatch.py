"""Sending due reminders.

The database is the source of truth: the scan (`reminders_claim_due`, run every minute by beat)
claims due rows and enqueues them after commit, one task per batch of `SEND_BATCH` rows
(`dispatch_batch.reminders_process`); a row whose task was lost (broker restart, killed worker)
is still "claimed" or "sending" in the database and the next scans enqueue it again.
`reminder_process` (one reminder: a row found taken or stuck, and tasks enqueued one by one
before batches) and `reminders_process` are safe to run any number of times per reminder.

States: scheduled/deferred --scan--> claimed --task--> sending --provider--> sent | failed;
blocked by hours -> deferred to `next_allowed_at`; blocked otherwise -> cancelled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from collections_app.models import (
    Case,
    ContactAttempt,
    Debtor,
    PromiseStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from collections_app.models.case import OPEN_CASE_STATUSES
from messaging.channels import backend_for
from messaging.models import OutboundMessage, OutboundStatus

from .content import reminder_render
from .reminders import NO_LONGER_DUE, UNPAID_INSTALLMENT
from .send import message_deliver, message_record_outcome

log = logging.getLogger(__name__)

S = ReminderStatus
# Reasons that only say "not at this hour": the reminder waits for `next_allowed_at`.
TIME_OF_DAY_CODES = frozenset({"OUTSIDE_CONTACT_HOURS", "CONSUMER_INCONVENIENT_TIME", "HOLIDAY"})
# Raised when the case is re-queued after a broken promise.
BROKEN_PROMISE_PRIORITY_BUMP = 10
# A reminder whose processing was interrupted this many times is failed rather than retried.
MAX_TRIES = 5
# Reminders per send task (MESSAGING_SEND_BATCH overrides it).
SEND_BATCH = 200


def _enqueue(ids: Sequence[int]) -> None:
    from messaging.tasks import reminders_send

    queue = settings.MESSAGING_QUEUE
    size = getattr(settings, "MESSAGING_SEND_BATCH", SEND_BATCH)
    # One task per batch of reminders: the gate judges a batch in a fixed number of queries.
    # One producer (one broker connection) for all of them.
    with reminders_send.app.producer_or_acquire() as producer:
        for start in range(0, len(ids), size):
            chunk = list(ids[start : start + size])
            reminders_send.apply_async((chunk,), queue=queue, producer=producer)


def reminders_claim_due(
    *,
    now: datetime | None = None,
    batch: int | None = None,
    stuck_after: int | None = None,
    enqueue: Callable[[Sequence[int]], None] = _enqueue,
) -> int:
    """Claim every due reminder, batch by batch, and enqueue each after its batch commits.
    Returns how many were enqueued (claimed now, or stuck and enqueued again)."""
    now = now or timezone.now()
    batch = batch or settings.MESSAGING_DISPATCH_BATCH
    stuck_after = settings.MESSAGING_STUCK_AFTER_SECONDS if stuck_after is None else stuck_after
    total = 0
    while True:
        with transaction.atomic():
            # skip_locked: two scans running at once split the rows instead of waiting.
            ids = list(
                Reminder.objects.select_for_update(skip_locked=True)
                .filter(status__in=(S.SCHEDULED, S.DEFERRED), due_at__lte=now)
                .order_by("due_at", "id")
                .values_list("id", flat=True)[:batch]
            )
            if ids:
                Reminder.objects.filter(id__in=ids).update(status=S.CLAIMED, updated_at=now)
                transaction.on_commit(lambda ids=ids: enqueue(ids))
        total += len(ids)
        if len(ids) < batch:
            break
    # Claimed or sending for too long: the task was lost. Enqueue again; the task decides.
    stuck = list(
        Reminder.objects.filter(
            status__in=(S.CLAIMED, S.SENDING), updated_at__lt=now - timedelta(seconds=stuck_after)
        ).values_list("id", flat=True)[: batch * 10]
    )
    if stuck:
        log.warning("re-enqueueing %s stuck reminders", len(stuck))
        # Restart the clock of the claimed ones so a long backlog is not enqueued again every
        # minute; "sending" rows keep theirs, which the task checks before resuming.
        Reminder.objects.filter(id__in=stuck, status=S.CLAIMED).update(updated_at=now)
        enqueue(stuck)
    return total + len(stuck)


def reminder_process(*, reminder_id: int) -> str:
    """Send one claimed reminder through the gate. Returns the reminder's status afterwards."""
    now = timezone.now()
    # Take the reminder with a committed compare-and-swap before anything is sent, so a second
    # delivery of the same task finds it taken and stops.
    taken = Reminder.objects.filter(pk=reminder_id, status=S.CLAIMED).update(
        status=S.SENDING, tries=F("tries") + 1, updated_at=now
    )
    if taken:
        return _gate_and_send(reminder_id)
    row = Reminder.objects.filter(pk=reminder_id).values("status", "updated_at", "tries").first()
    if row is None:
        return "missing"
    stuck_before = now - timedelta(seconds=settings.MESSAGING_STUCK_AFTER_SECONDS)
    if row["status"] != S.SENDING or row["updated_at"] > stuck_before:
        return row["status"]
    # Interrupted while sending (the worker died). Resume it, once: the swap on updated_at
    # lets only one of several concurrent deliveries through.
    resumed = Reminder.objects.filter(
        pk=reminder_id, status=S.SENDING, updated_at=row["updated_at"]
    ).update(updated_at=now, tries=F("tries") + 1)
    if not resumed:
        return S.SENDING
    if row["tries"] >= MAX_TRIES:
        reminder = Reminder.objects.get(pk=reminder_id)
        if reminder.attempt_id is None:
            return _finish(
                reminder, S.FAILED, last_error=gettext("Gave up after repeated interruptions.")
            )
    return _resume(reminder_id)


def _finish(
    reminder: Reminder, status: str, *, reasons: list | None = None, **fields: object
) -> str:
    reminder.status = status
    changed = ["status", "updated_at", *fields]
    if reasons is not None:
        reminder.reasons = reasons
        changed.append("reasons")
    for name, value in fields.items():
        setattr(reminder, name, value)
    reminder.save(update_fields=changed)
    return status


def _no_longer_due(reminder: Reminder) -> bool:
    if reminder.case.status not in OPEN_CASE_STATUSES:
        return True
    if reminder.installment_id:
        inst = reminder.installment
        return inst.status not in UNPAID_INSTALLMENT or inst.plan.status != "active"
    if reminder.kind == ReminderKind.PROMISE_BROKEN:
        return reminder.promise.status not in (PromiseStatus.PENDING, PromiseStatus.BROKEN)
    return reminder.promise.status != PromiseStatus.PENDING


def _promise_broken_apply(reminder: Reminder) -> None:
    """The promise's day has passed unpaid: mark it broken and put the case back at the top of
    its collector's queue. Idempotent: only a pending promise is changed."""
    with transaction.atomic():
        # Lock order of the house: debtor, then case.
        Debtor.objects.select_for_update().filter(pk=reminder.case.debtor_id).first()
        case = Case.objects.select_for_update().get(pk=reminder.case_id)
        promise = reminder.promise
        promise.refresh_from_db(fields=["status"])
        if promise.status != PromiseStatus.PENDING:
            return
        # Imported here: the promises service schedules reminders through this app.
        from collections_app.services.promises import promise_mark_broken

        promise_mark_broken(promise_id=promise.pk)
        case.refresh_from_db()
        case.next_action_at = timezone.now()
        case.priority = case.priority + BROKEN_PROMISE_PRIORITY_BUMP
        case.save(update_fields=["next_action_at", "priority"])


def reminder_message(
    *, reminder: Reminder, attempt: ContactAttempt, subject: str, body: str
) -> OutboundMessage:
    """The message a reminder sends (unsaved); its key makes a second send of it a repeat."""
    return OutboundMessage(
        attempt=attempt,
        reminder=reminder,
        channel=reminder.channel,
        recipient=reminder.contact_point.value,
        subject=subject,
        body=body,
        language=reminder.language,
        idempotency_key=f"reminder:{reminder.idempotency_key}",
    )


def _gate_and_send(reminder_id: int) -> str:
    from compliance.services.outreach import outreach_reserve

    reminder = Reminder.objects.select_related(
        "case__debtor", "contact_point", "installment__plan", "promise"
    ).get(pk=reminder_id)
    if _no_longer_due(reminder):
        return _finish(
            reminder,
            S.CANCELLED,
            reasons=[
                {
                    "code": NO_LONGER_DUE,
                    "rule": "",
                    "message": gettext("Paid, cancelled or closed before it was sent."),
                }
            ],
        )
    if reminder.kind == ReminderKind.PROMISE_BROKEN:
        _promise_broken_apply(reminder)
    if reminder.contact_point is None:
        return _finish(
            reminder,
            S.CANCELLED,
            reasons=[
                {
                    "code": "NO_CONTACT_POINT",
                    "rule": "",
                    "message": gettext("No contact point to send it to."),
                }
            ],
        )
    with transaction.atomic():
        result = outreach_reserve(
            contact_point=reminder.contact_point,
            channel=reminder.channel,
            actor=None,
            case=reminder.case,
            source="reminder",
            purpose="reminder",
            actor_label=f"reminder:{reminder.pk}",
        )
        decision = result.decision
        if not result.allowed:
            reasons = list(decision.reasons)
            codes = {r.get("code") for r in reasons}
            if decision.next_allowed_at is not None and codes <= TIME_OF_DAY_CODES:
                return _finish(
                    reminder, S.DEFERRED, reasons=reasons, due_at=decision.next_allowed_at
                )
            return _finish(reminder, S.CANCELLED, reasons=reasons)
        subject, body = reminder_render(reminder=reminder)
        message = reminder_message(
            reminder=reminder, attempt=result.attempt, subject=subject, body=body
        )
        message.save(force_insert=True)
        _finish(reminder, S.SENDING, attempt=result.attempt)
    # Committed: the message exists in "sending" before the provider hears of it.
    return message_deliver(message_id=message.pk)


def _resume(reminder_id: int) -> str:
    reminder = Reminder.objects.select_related("case__debtor").get(pk=reminder_id)
    if reminder.attempt_id is None:
        # Died before the gate's transaction committed: nothing was reserved or sent.
        return _gate_and_send(reminder_id)
    message = OutboundMessage.objects.filter(attempt_id=reminder.attempt_id).first()
    if message is None:
        return _gate_and_send(reminder_id)
    if message.status != OutboundStatus.SENDING:
        return message.status
    if backend_for(message.channel).idempotent:
        # The gateway drops a second copy with the same idempotency key: resending is safe.
        return message_deliver(message_id=message.pk)
    # The provider may or may not have it; at most once means we do not send again.
    return message_record_outcome(
        message_id=message.pk,
        provider_id="",
        error=gettext(
            "Interrupted while sending: delivery unknown. Check the provider before resending."
        ),
    )
