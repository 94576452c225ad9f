"""Reminder scheduling. `reminders_sync` is the one entry point the plan, promise and payment
services call after they change something: it brings a case's pending reminders in line with
its promises and installments (creating what is missing, cancelling what no longer applies).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from collections_app.models import (
    Case,
    ContactPoint,
    Debtor,
    Installment,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from collections_app.models.case import OPEN_CASE_STATUSES
from compliance.engine import zones_for_country, zones_for_region
from compliance.models import Consent, ContactRestriction

from .content import language_for

# Reminders go out in the debtor's morning; the gate still checks every plausible zone and
# defers what falls outside the permitted hours.
SEND_AT_LOCAL = time(10, 0)
PENDING = (ReminderStatus.SCHEDULED, ReminderStatus.DEFERRED)
UNPAID_INSTALLMENT = ("due", "partial")
NO_LONGER_DUE = "NO_LONGER_DUE"


@dataclass(frozen=True)
class SyncResult:
    created: int
    cancelled: int
    moved: int


def debtor_zone(debtor: Debtor) -> ZoneInfo:
    """The zone a reminder's local morning is computed in: the verified zone, else the address
    region's first zone, else the country's."""
    for name in (
        [debtor.timezone] if debtor.timezone else [],
        zones_for_region(debtor.country, debtor.region),
        zones_for_country(debtor.country),
    ):
        if name:
            try:
                return ZoneInfo(name[0])
            except (KeyError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_morning(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, SEND_AT_LOCAL, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def reminder_channel_choose(*, debtor: Debtor, at: datetime) -> tuple[str, ContactPoint] | None:
    """WeChat for Chinese debtors who have it; else SMS to a mobile (in the US only with SMS
    consent, Reg F and the TCPA); else a personal email. Contact points the debtor opted out of,
    wrong numbers and third parties' points are never chosen."""
    points = [
        cp for cp in debtor.contact_points.all() if cp.owner == "debtor" and not cp.wrong_number
    ]
    bans = list(
        ContactRestriction.objects.filter(
            debtor=debtor, kind="channel_ban", effective_at__lte=at
        ).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    )

    def banned(cp: ContactPoint, channel: str) -> bool:
        return any(
            (not ban.channel or ban.channel == channel)
            and (ban.contact_point_id is None or ban.contact_point_id == cp.pk)
            for ban in bans
        )

    if debtor.country == "CN":
        for cp in points:
            if cp.kind == "wechat" and not banned(cp, "wechat"):
                return "wechat", cp
    mobiles = [cp for cp in points if cp.kind == "mobile" and not banned(cp, "sms")]
    if mobiles:
        consented = (
            Consent.objects.filter(
                debtor=debtor, kind="sms", given_at__lte=at, revoked_at__isnull=True
            )
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))
            .values_list("contact_point_id", flat=True)
        )
        consented = list(consented)
        for cp in mobiles:
            if debtor.country != "US" or None in consented or cp.pk in consented:
                return "sms", cp
    for cp in points:
        if cp.kind == "email" and not cp.is_employer_provided and not banned(cp, "email"):
            return "email", cp
    return None


def reminder_key(*, kind: str, item_id: int, channel: str) -> str:
    return f"{kind}:{item_id}:{channel}"


def _wanted(case: Case, channel: str, now: datetime) -> dict[str, dict]:
    zone = debtor_zone(case.debtor)
    today = now.astimezone(zone).date()
    days_before = settings.REMINDER_DAYS_BEFORE
    wanted: dict[str, dict] = {}

    def want(kind: str, day: date, catch_up: bool, **item: object) -> None:
        if day < today and not catch_up:
            return
        item_id = next(iter(v.pk for v in item.values()))
        wanted[reminder_key(kind=kind, item_id=item_id, channel=channel)] = {
            "kind": kind,
            "due_at": max(local_morning(day, zone), now),
            **item,
        }

    installments = Installment.objects.filter(
        plan__case_id=case.pk, plan__status=PlanStatus.ACTIVE, status__in=UNPAID_INSTALLMENT
    ).select_related("plan")
    for inst in installments:
        if days_before > 0:
            want(
                ReminderKind.INSTALLMENT_DUE_SOON,
                inst.due_date - timedelta(days=days_before),
                catch_up=False,
                installment=inst,
            )
        want(ReminderKind.INSTALLMENT_DUE_TODAY, inst.due_date, False, installment=inst)
        # Overdue notices catch up: a plan entered late still tells the debtor once.
        want(
            ReminderKind.INSTALLMENT_OVERDUE,
            inst.due_date + timedelta(days=1),
            True,
            installment=inst,
        )
    for promise in PromiseToPay.objects.filter(case_id=case.pk, status=PromiseStatus.PENDING):
        want(ReminderKind.PROMISE_DUE, promise.due_date, False, promise=promise)
        want(
            ReminderKind.PROMISE_BROKEN, promise.due_date + timedelta(days=1), True, promise=promise
        )
    return wanted


def reminders_sync(*, case_id: int) -> SyncResult:
    """Create and cancel the case's pending reminders to match its promises and installments."""
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.select_related("debtor").get(pk=case_id)
        pending = list(
            Reminder.objects.select_for_update().filter(case_id=case_id, status__in=PENDING)
        )
        wanted: dict[str, dict] = {}
        choice = None
        if case.status in OPEN_CASE_STATUSES:
            choice = reminder_channel_choose(debtor=case.debtor, at=now)
        if choice is not None:
            wanted = _wanted(case, choice[0], now)
        cancelled = moved = created = 0
        for reminder in pending:
            spec = wanted.pop(reminder.idempotency_key, None)
            if spec is None:
                reminder.status = ReminderStatus.CANCELLED
                reminder.reasons = [{"code": NO_LONGER_DUE, "rule": "", "message": ""}]
                reminder.save(update_fields=["status", "reasons", "updated_at"])
                cancelled += 1
            elif (
                reminder.status == ReminderStatus.SCHEDULED
                and reminder.due_at != spec["due_at"]
                # A catch-up reminder already due stays as it is (its target is "now").
                and not (reminder.due_at <= now and spec["due_at"] <= now)
            ):
                reminder.due_at = spec["due_at"]
                reminder.save(update_fields=["due_at", "updated_at"])
                moved += 1
        if choice is not None:
            channel, contact_point = choice
            language = language_for(case.debtor.preferred_language)
            for key, spec in wanted.items():
                # A reminder already sent or cancelled under this key stays as it is.
                _obj, was_created = Reminder.objects.get_or_create(
                    idempotency_key=key,
                    defaults={
                        "case": case,
                        "channel": channel,
                        "contact_point": contact_point,
                        "language": language,
                        **spec,
                    },
                )
                created += was_created
    return SyncResult(created=created, cancelled=cancelled, moved=moved)
