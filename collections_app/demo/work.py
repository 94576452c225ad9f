"""Money and work around a case: promises, plans with installments, payments, notes,
follow-ups and scheduled reminders, consistent with the case's status and its history."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from . import data
from .rows import IdAllocator, Rows
from .spec import CaseSpec, Staff, local_at, money

METHODS = {
    "US": ("ach", "card", "check"),
    "CN": ("alipay", "wechat_pay", "bank_transfer"),
    "GB": ("card", "bank_transfer"),
}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))


class WorkMaker:
    def __init__(
        self, *, rng: random.Random, now: datetime, ids: IdAllocator, staff: Staff
    ) -> None:
        self.rng = rng
        self.now = now
        self.ids = ids
        self.staff = staff

    def _home(self, spec: CaseSpec) -> ZoneInfo:
        return ZoneInfo(spec.zones[0].zone if spec.zones else "UTC")

    def _today(self, spec: CaseSpec) -> date:
        return self.now.astimezone(self._home(spec)).date()

    def _payment(
        self,
        rows: Rows,
        spec: CaseSpec,
        debt: dict[str, Any],
        amount: Decimal,
        at: datetime,
        **links: Any,
    ) -> dict[str, Any]:
        amount = min(amount, debt["balance"])
        debt["balance"] -= amount
        payment_id = self.ids.take("payment")
        return rows.add(
            "payment",
            {
                "id": payment_id,
                "case_id": spec.case["id"],
                "debt_id": debt["id"],
                "amount": amount,
                "currency": debt["currency"],
                "received_at": at,
                "method": self.rng.choice(METHODS[spec.country]),
                "external_reference": f"DEMO-PAY-{payment_id:010d}",
                "installment_id": links.get("installment_id"),
                "promise_id": links.get("promise_id"),
                "reverses_id": None,
                "source": "core_feed",
                "recorded_by_id": None,
                "created_at": at,
            },
        )

    def _promise(
        self,
        rows: Rows,
        spec: CaseSpec,
        *,
        amount: Decimal,
        due: date,
        status: str,
        attempt: dict[str, Any] | None,
    ) -> dict[str, Any]:
        debt = spec.debts[0]
        created = attempt["occurred_at"] if attempt else spec.case["status_changed_at"]
        resolved = None
        if status != "pending":
            resolved = local_at(due, 18, 0, self._home(spec).key) + timedelta(days=1)
        return rows.add(
            "promise",
            {
                "id": self.ids.take("promise"),
                "case_id": spec.case["id"],
                "debt_id": debt["id"],
                "amount": amount,
                "currency": debt["currency"],
                "due_date": due,
                "status": status,
                "paid_amount": amount if status == "kept" else Decimal("0"),
                "created_by_id": spec.collector_id,
                "attempt_id": attempt["id"] if attempt else None,
                "created_at": min(created, self.now),
                "resolved_at": resolved,
            },
        )

    def _plan(
        self,
        rows: Rows,
        spec: CaseSpec,
        *,
        status: str,
        months: int,
        discount_pct: int,
        started_months_ago: int,
    ) -> None:
        rng = self.rng
        debt = spec.debts[0]
        balance = debt["balance"]
        discount = money(float(balance) * discount_pct / 100)
        total = balance - discount
        if total <= 0:
            return
        start = add_months(self._today(spec), -started_months_ago) + timedelta(days=3)
        created = local_at(start - timedelta(days=10), 11, 0, self._home(spec).key)
        manager = self.staff.managers["CN" if spec.country == "CN" else "US"]
        plan = rows.add(
            "plan",
            {
                "id": self.ids.take("plan"),
                "case_id": spec.case["id"],
                "status": status,
                "total_amount": total,
                "currency": debt["currency"],
                "frequency": "monthly",
                "start_date": start,
                "discount_amount": discount,
                "created_by_id": spec.collector_id,
                "approved_by_id": manager if status in ("active", "completed") else None,
                "approved_at": created + timedelta(hours=3)
                if status != "pending_approval"
                else None,
                "created_at": min(created, self.now),
            },
        )
        each = money(float(total) / months)
        today = self._today(spec)
        for seq in range(1, months + 1):
            due = add_months(start, seq - 1)
            amount = each if seq < months else total - each * (months - 1)
            paid = status == "completed" or (status == "active" and due < today)
            missed = status == "active" and due < today and rng.random() < 0.1
            inst = rows.add(
                "installment",
                {
                    "id": self.ids.take("installment"),
                    "plan_id": plan["id"],
                    "seq": seq,
                    "due_date": due,
                    "amount": amount,
                    "paid_amount": Decimal("0"),
                    "status": "due",
                },
            )
            if paid and not missed:
                received = local_at(due, 10, rng.randrange(60), self._home(spec).key)
                pay = self._payment(
                    rows, spec, debt, amount, min(received, self.now), installment_id=inst["id"]
                )
                inst["paid_amount"] = pay["amount"]
                inst["status"] = "paid" if pay["amount"] == amount else "partial"
            elif missed:
                inst["status"] = "missed"
            elif status == "active" and spec.next_installment is None and due >= today:
                spec.next_installment = inst
        if status == "completed":
            # The forgiven part of a completed settlement.
            debt["balance"] = Decimal("0")

    def build(self, rows: Rows, spec: CaseSpec, attempts: list[dict[str, Any]]) -> None:
        rng = self.rng
        status = spec.case["status"]
        today = self._today(spec)
        talks = [a for a in attempts if a["outcome"] == "conversation"]
        last_talk = talks[-1] if talks else None
        first = spec.debts[0]
        if status == "promise_to_pay":
            if rng.random() < 0.3:
                due = today - timedelta(days=rng.randrange(8, 20))
                self._promise(
                    rows,
                    spec,
                    amount=money(float(first["balance"]) * 0.2),
                    due=due,
                    status="broken",
                    attempt=talks[0] if len(talks) > 1 else None,
                )
            due = today + timedelta(days=0 if rng.random() < 0.3 else rng.randrange(1, 11))
            spec.promise = self._promise(
                rows,
                spec,
                amount=money(float(first["balance"]) * rng.uniform(0.1, 0.4)),
                due=due,
                status="pending",
                attempt=last_talk,
            )
        elif status == "active":
            if rng.random() < 0.25:
                due = today - timedelta(days=rng.randrange(5, 25))
                self._promise(
                    rows,
                    spec,
                    amount=money(float(first["balance"]) * 0.15),
                    due=due,
                    status="broken",
                    attempt=last_talk,
                )
            if spec.index % 13 == 4 and spec.collector_id:
                # Beyond a collector's authority: waits for the manager.
                self._plan(
                    rows,
                    spec,
                    status="pending_approval",
                    months=18,
                    discount_pct=25,
                    started_months_ago=-1,
                )
        elif status == "payment_plan":
            self._plan(
                rows,
                spec,
                status="active",
                months=rng.randrange(4, 13),
                discount_pct=rng.choice((0, 0, 10)),
                started_months_ago=rng.randrange(0, 4),
            )
        elif status == "paid":
            for debt in spec.debts:
                promise = self._promise(
                    rows,
                    spec,
                    amount=debt["balance"],
                    due=today - timedelta(days=3),
                    status="kept",
                    attempt=last_talk,
                )
                promise["debt_id"] = debt["id"]
                self._payment(
                    rows,
                    spec,
                    debt,
                    debt["balance"],
                    spec.case["closed_at"],
                    promise_id=promise["id"],
                )
                debt["status"] = "paid"
        elif status == "settled":
            self._plan(
                rows,
                spec,
                status="completed",
                months=rng.randrange(2, 5),
                discount_pct=rng.choice((20, 30, 40)),
                started_months_ago=4,
            )
            for debt in spec.debts:
                debt["status"] = "settled"
                debt["balance"] = Decimal("0")
        elif status == "closed":
            for debt in spec.debts:
                debt["status"] = "recalled"
        self._notes(rows, spec, attempts)
        self._follow_ups(rows, spec)
        self._reminders(rows, spec)

    def _notes(self, rows: Rows, spec: CaseSpec, attempts: list[dict[str, Any]]) -> None:
        if spec.case["status"] == "new":
            return
        rng = self.rng
        texts = data.NOTES_ZH if spec.country == "CN" else data.NOTES_EN
        author = spec.collector_id or self.staff.managers["CN" if spec.country == "CN" else "US"]
        for _ in range(rng.randrange(1, 4)):
            anchor = rng.choice(attempts)["occurred_at"] if attempts else spec.case["opened_at"]
            rows.add(
                "note",
                {
                    "id": self.ids.take("note"),
                    "case_id": spec.case["id"],
                    "author_id": author,
                    "body": rng.choice(texts),
                    "created_at": min(anchor + timedelta(minutes=12), self.now),
                },
            )
        if spec.case["status"] in ("legal", "agency", "closed"):
            body = {
                "legal": "Referred to counsel: balance above the litigation threshold.",
                "agency": "Placed with an external collection agency for 90 days.",
                "closed": "Account recalled by the creditor.",
            }[spec.case["status"]]
            rows.add(
                "note",
                {
                    "id": self.ids.take("note"),
                    "case_id": spec.case["id"],
                    "author_id": author,
                    "body": body,
                    "created_at": spec.case["status_changed_at"],
                },
            )

    def _follow_ups(self, rows: Rows, spec: CaseSpec) -> None:
        rng = self.rng
        case = spec.case
        if case["status"] not in ("active", "promise_to_pay", "payment_plan", "disputed"):
            return
        if case["assigned_to_id"] is None or rng.random() > 0.45:
            return
        reasons = data.FOLLOW_UP_REASONS_ZH if spec.country == "CN" else data.FOLLOW_UP_REASONS_EN
        today = self._today(spec)
        roll = rng.random()
        day = (
            today - timedelta(days=1)
            if roll < 0.15
            else today
            if roll < 0.75
            else today + timedelta(days=rng.randrange(1, 6))
        )
        due = local_at(
            day, rng.randrange(10, 17), rng.choice((0, 15, 30, 45)), self._home(spec).key
        )
        rows.add(
            "follow_up",
            {
                "id": self.ids.take("follow_up"),
                "case_id": case["id"],
                "assigned_to_id": case["assigned_to_id"],
                "due_at": due,
                "reason": rng.choice(reasons),
                "done_at": None,
                "created_by_id": case["assigned_to_id"],
                "created_at": self.now - timedelta(days=rng.randrange(1, 4)),
            },
        )
        case["next_action_at"] = due

    def reminder(
        self,
        rows: Rows,
        spec: CaseSpec,
        *,
        kind: str,
        channel: str,
        cp: dict[str, Any],
        due_at: datetime,
        installment: dict[str, Any] | None = None,
        promise: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        reminder_id = self.ids.take("reminder")
        target = installment["id"] if installment else promise["id"] if promise else 0
        return rows.add(
            "reminder",
            {
                "id": reminder_id,
                "case_id": spec.case["id"],
                "kind": kind,
                "channel": channel,
                "contact_point_id": cp["id"],
                "installment_id": installment["id"] if installment else None,
                "promise_id": promise["id"] if promise else None,
                "due_at": due_at,
                "status": "scheduled",
                "idempotency_key": f"demo:{kind}:{target}:{channel}:{due_at:%Y%m%d%H%M}",
                "tries": 0,
                "reasons": [],
                "last_error": "",
                "language": spec.debtor["preferred_language"],
                "attempt_id": None,
                "provider_message_id": "",
                "sent_at": None,
                "created_at": self.now,
                "updated_at": self.now,
            },
        )

    def channel_for(self, spec: CaseSpec) -> tuple[str, dict[str, Any]] | None:
        """The channel a reminder to this debtor may use: texts where allowed, else email."""
        mobile = spec.cp("mobile")
        email = spec.cp("email")
        if mobile and (spec.country != "US" or spec.consent_active("sms", self.now)):
            return "sms", mobile
        if email and (not spec.is_nyc or spec.consent_active("email", self.now)):
            return "email", email
        return None

    def _reminders(self, rows: Rows, spec: CaseSpec) -> None:
        if spec.restrictions:
            return
        chosen = self.channel_for(spec)
        if chosen is None:
            return
        channel, cp = chosen
        zone = self._home(spec).key
        if spec.promise is not None:
            due = local_at(spec.promise["due_date"], 10, 0, zone)
            if due > self.now:
                self.reminder(
                    rows,
                    spec,
                    kind="promise_due",
                    channel=channel,
                    cp=cp,
                    due_at=due,
                    promise=spec.promise,
                )
        if spec.next_installment is not None:
            inst = spec.next_installment
            soon = local_at(inst["due_date"] - timedelta(days=3), 10, 0, zone)
            if soon > self.now:
                self.reminder(
                    rows,
                    spec,
                    kind="installment_due_soon",
                    channel=channel,
                    cp=cp,
                    due_at=soon,
                    installment=inst,
                )
            on_day = local_at(inst["due_date"], 9, 30, zone)
            if on_day > self.now:
                self.reminder(
                    rows,
                    spec,
                    kind="installment_due_today",
                    channel=channel,
                    cp=cp,
                    due_at=on_day,
                    installment=inst,
                )
