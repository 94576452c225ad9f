"""`manage.py loadtest_prepare --users 200 --out var/bench/loadtest-users.json`

Gives the load test its collectors: lt_001... in "Load Team", each with a share of the
highest-numbered cases, an API token and a signed-in session made directly in the session
store (so the test measures the work, not 200 password hashes), and puts `--reminders`
reminders on their cases for the reminder workers, falling due evenly over the next
`--reminders-over` seconds (0: all due now). Writes what the locustfile needs
(keys, case ids, phone contact point ids) to a JSON file. For a scratch database only."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import User
from collections_app.models import Case, ContactPoint, PromiseToPay, Reminder
from messaging.services.reminders import reminder_channel_choose
from perf.fixtures import load_people_ensure

PHONE_KINDS = ("mobile", "landline", "work_phone")


def session_for(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


class Command(BaseCommand):
    help = "Prepare the load test's collectors, sessions, tokens and due reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=200)
        parser.add_argument("--cases-each", type=int, default=20)
        parser.add_argument("--reminders", type=int, default=300)
        parser.add_argument(
            "--reminders-over",
            type=int,
            default=0,
            help="Seconds over which the reminders fall due, evenly (0: all due now).",
        )
        parser.add_argument("--out", default="var/bench/loadtest-users.json")

    def handle(self, *args: Any, **opts: Any) -> None:
        owned = load_people_ensure(users=opts["users"], cases_each=opts["cases_each"])
        if not any(owned.values()):
            raise CommandError("No case to work: seed the database first.")
        all_cases = [c for ids in owned.values() for c in ids]
        phones: dict[int, list[int]] = {}
        for cp_id, case_id in ContactPoint.objects.filter(
            debtor__cases__in=all_cases, owner="debtor", kind__in=PHONE_KINDS, wrong_number=False
        ).values_list("pk", "debtor__cases"):
            phones.setdefault(case_id, []).append(cp_id)
        people = []
        for user in User.objects.filter(pk__in=owned).order_by("username"):
            token, _ = Token.objects.get_or_create(user=user)
            cases = owned[user.pk]
            people.append(
                {
                    "username": user.username,
                    "session": session_for(user),
                    "token": token.key,
                    "cases": cases,
                    "phones": [cp for c in cases for cp in phones.get(c, [])[:1]],
                }
            )
        made = self._reminders(
            case_ids=all_cases, count=opts["reminders"], over=opts["reminders_over"]
        )
        out = Path(opts["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"users": people}), encoding="utf-8")
        self.stdout.write(
            f"{len(people)} collectors, {len(all_cases)} cases, {made} reminders falling due "
            f"within {opts['reminders_over']} s; {out}"
        )

    @transaction.atomic
    def _reminders(self, *, case_ids: list[int], count: int, over: int) -> int:
        now = timezone.now()
        stamp = now.strftime("%Y%m%d%H%M%S")
        chosen = []
        for case in (
            Case.objects.filter(pk__in=case_ids)
            .select_related("debtor")
            .prefetch_related("debtor__contact_points")
        ):
            choice = reminder_channel_choose(debtor=case.debtor, at=now)
            if choice is not None:
                chosen.append((case, *choice))
            if len(chosen) >= count:
                break
        rows = []
        for i in range(count if chosen else 0):
            case, channel, cp = chosen[i % len(chosen)]
            promise = PromiseToPay.objects.create(
                case=case, amount=Decimal("50.00"), currency="USD", due_date=now.date()
            )
            rows.append(
                Reminder(
                    case=case,
                    kind="promise_due",
                    channel=channel,
                    contact_point=cp,
                    promise=promise,
                    due_at=now - timedelta(seconds=1) + timedelta(seconds=over * i / count),
                    language=case.debtor.preferred_language,
                    idempotency_key=f"loadtest:{stamp}:{i}",
                )
            )
        Reminder.objects.bulk_create(rows, batch_size=1000)
        return len(rows)
