"""Thirty days of contact history per case, compliant by construction.

The generator keeps its own small ledger per debtor and only adds an attempt the rules allow:
daytime in every plausible zone of the person, at most three counted contacts in eight local
days (two in Massachusetts, where texts count too; every channel in New York City), no call
within a week of a conversation, texts only with consent in the US, no work calls where a
workplace restriction or a state's workplace cap applies, nothing after a cease, attorney or
dispute restriction took effect. With `evaluate`, each attempt is also judged by the
compliance engine against the ledger before it, and its decision stored with the full context
so it can be replayed; an attempt the engine would block is dropped, except the few late
agency calls kept on purpose as flagged imports.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from compliance.engine import (
    LedgerEntry,
    context_to_dict,
    evaluate,
)
from compliance.engine.evaluate import ENGINE_VERSION

from .context import DebtorContext
from .rows import IdAllocator, Rows
from .spec import CaseSpec, weighted

UTC = ZoneInfo("UTC")
NOT_COUNTED = frozenset({"not_in_service", "failed", "wrong_number"})
CALL_OUTCOMES = (
    ("no_answer", 32),
    ("voicemail", 10),
    ("voicemail_no_message", 6),
    ("limited_content_message", 10),
    ("busy", 8),
    ("conversation", 24),
    ("answered_dropped", 4),
    ("wrong_party", 4),
    ("not_in_service", 2),
)
CN_CALL_OUTCOMES = tuple((o, w) for o, w in CALL_OUTCOMES if o != "limited_content_message")
MESSAGE_OUTCOMES = (("delivered", 80), ("sent", 15), ("failed", 5))
# Daily chance of an outbound call / message on a working day, by case status.
INTENSITY = {
    "new": (0.5, 0.3),
    "active": (0.55, 0.28),
    "promise_to_pay": (0.45, 0.3),
    "payment_plan": (0.3, 0.3),
    "disputed": (0.45, 0.2),
    "legal": (0.3, 0.15),
    "agency": (0.3, 0.15),
    "paid": (0.45, 0.25),
    "settled": (0.45, 0.25),
    "closed": (0.4, 0.2),
}
INBOUND_NOTE = "inbound contact: not an outreach, no rule evaluated"
DEMO_INPUTS_NOTE = "generated to respect the rules by construction; not evaluated"


@dataclass
class Planned:
    at: datetime
    channel: str
    outcome: str
    cp: dict[str, Any]
    direction: str = "outbound"
    actor_id: int | None = None
    late_agency_call: bool = False
    day: int = 0  # local date ordinal, for the counting windows
    counted: bool = False  # towards the cap of contacts in the window (set when planned)


@lru_cache(maxsize=16384)
def _window_utc(
    day: date, zones: tuple[str, ...], start_h: int, end_h: int
) -> tuple[datetime, datetime]:
    """[start, end) of the local hours `start_h`..`end_h` in every zone on the local `day`."""
    starts = [datetime(day.year, day.month, day.day, start_h, tzinfo=ZoneInfo(z)) for z in zones]
    ends = [datetime(day.year, day.month, day.day, end_h, tzinfo=ZoneInfo(z)) for z in zones]
    return max(starts).astimezone(UTC), min(ends).astimezone(UTC)


class HistoryMaker:
    def __init__(
        self, *, rng: random.Random, ids: IdAllocator, evaluate_each: bool, now: datetime
    ) -> None:
        self.rng = rng
        self.ids = ids
        self.evaluate_each = evaluate_each
        self.now = now

    # --- planning ------------------------------------------------------------------------------
    def _counted(self, spec: CaseSpec, entry: Planned) -> bool:
        if entry.direction != "outbound" or entry.outcome in NOT_COUNTED:
            return False
        if spec.is_nyc:
            return True
        if spec.place.region == "MA":
            return entry.channel in ("call", "sms")
        if spec.place.region == "WA":
            return entry.channel in ("call", "letter", "visit")
        return entry.channel == "call"

    def plan(self, spec: CaseSpec) -> list[Planned]:
        rng = self.rng
        zones = tuple(z.zone for z in spec.zones) or ("UTC",)
        home = ZoneInfo(zones[0])
        status = spec.case["status"]
        p_call, p_msg = INTENSITY[status]
        cap = 2 if spec.place.region == "MA" else 3
        first = spec.history_from.astimezone(home).date()
        last = spec.history_to.astimezone(home).date()
        planned: list[Planned] = []

        def add(entry: Planned) -> None:
            entry.counted = self._counted(spec, entry)
            planned.append(entry)

        mobile = spec.cp("mobile")
        landline = spec.cp("landline")
        work = spec.cp("work_phone")
        email = spec.cp("email")
        wechat = spec.cp("wechat")
        postal = spec.cp("postal")
        work_allowed = (
            work is not None
            and not spec.no_work_calls
            and spec.place.region
            not in (
                "MA",
                "WA",
            )
        )
        # A letter on the day after placement (US, UK): the validation notice.
        if postal and spec.country != "CN":
            at = spec.case["opened_at"] + timedelta(days=1)
            if spec.history_from <= at <= spec.history_to:
                add(
                    Planned(
                        at, "letter", "sent", postal, day=at.astimezone(home).date().toordinal()
                    )
                )
        day = first
        while day <= last:
            weekday = day.weekday()
            if spec.country != "CN" and weekday == 6:
                day += timedelta(days=1)
                continue
            lo, hi = _window_utc(day, zones, 9, 19)
            lo, hi = max(lo, spec.history_from), min(hi, spec.history_to)
            if hi - lo < timedelta(minutes=30):
                day += timedelta(days=1)
                continue
            ordinal = day.toordinal()
            # Entries are appended in time order: the last few cover the counting window.
            # One pass over them: counted contacts, a conversation, a call today.
            recent = [p for p in planned[-16:] if ordinal - p.day <= 7]
            counted = 0
            talked = called = False
            for p in recent:
                counted += p.counted
                if p.channel == "call":
                    talked = talked or p.outcome == "conversation"
                    called = called or p.day == ordinal
            # An outbound call.
            if (
                rng.random() < p_call * (0.5 if weekday == 5 else 1)
                and counted < cap
                and not talked
                and not called
            ):
                cp = mobile
                roll = rng.random()
                if landline and roll < 0.25:
                    cp = landline
                elif work_allowed and roll > 0.9 and not any(p.cp is work for p in recent):
                    cp = work
                if cp is not None:
                    at = self._time_in(spec, lo, hi, home)
                    if at is not None:
                        outcome = self._call_outcome(spec)
                        add(
                            Planned(
                                at, "call", outcome, cp, actor_id=spec.collector_id, day=ordinal
                            )
                        )
                        counted += planned[-1].counted
            # A message.
            if rng.random() < p_msg and counted < cap:
                channel, cp = self._message_channel(spec, mobile, email, wechat, lo)
                if cp is not None:
                    at = self._time_in(spec, lo, hi, home)
                    if at is not None:
                        outcome = weighted(rng, MESSAGE_OUTCOMES)
                        add(
                            Planned(
                                at, channel, outcome, cp, actor_id=spec.collector_id, day=ordinal
                            )
                        )
            # Now and then the debtor calls in.
            called_today = any(p.day == ordinal and p.channel == "call" for p in planned[-3:])
            if mobile and rng.random() < 0.03 and not talked and not called_today:
                at = self._time_in(spec, lo, hi, home)
                if at is not None:
                    add(
                        Planned(
                            at,
                            "call",
                            "conversation",
                            mobile,
                            "inbound",
                            spec.collector_id,
                            day=ordinal,
                        )
                    )
            day += timedelta(days=1)
        # A few late calls synced from a collection agency's dialer: kept as flagged facts.
        if (
            self.evaluate_each
            and spec.index % 37 == 21
            and spec.country == "US"
            and mobile is not None
            and planned
        ):
            at = planned[len(planned) // 2].at.astimezone(home).replace(hour=21, minute=34)
            if spec.history_from <= at <= spec.history_to:
                add(Planned(at, "call", "no_answer", mobile, late_agency_call=True))
        planned.sort(key=lambda p: p.at)
        return planned[:90]

    def _time_in(
        self, spec: CaseSpec, lo: datetime, hi: datetime, home: ZoneInfo
    ) -> datetime | None:
        for _ in range(6):
            seconds = self.rng.randrange(int((hi - lo).total_seconds()))
            at = (lo + timedelta(seconds=seconds)).replace(microsecond=0)
            if spec.inconvenient_hours:
                hour = at.astimezone(home).hour
                start, end = spec.inconvenient_hours
                if start - 1 <= hour < end + 1:
                    continue
            return at
        return None

    def _call_outcome(self, spec: CaseSpec) -> str:
        return weighted(self.rng, CN_CALL_OUTCOMES if spec.country == "CN" else CALL_OUTCOMES)

    def _message_channel(
        self,
        spec: CaseSpec,
        mobile: dict[str, Any] | None,
        email: dict[str, Any] | None,
        wechat: dict[str, Any] | None,
        at: datetime,
    ) -> tuple[str, dict[str, Any] | None]:
        choices: list[tuple[str, dict[str, Any] | None]] = []
        if spec.country == "CN":
            choices = [("sms", mobile), ("wechat", wechat), ("wechat", wechat)]
        elif spec.country == "GB":
            choices = [("sms", mobile), ("email", email)]
        else:
            if spec.consent_active("sms", at):
                choices.append(("sms", mobile))
            if not spec.is_nyc or spec.consent_active("email", at):
                choices.append(("email", email))
        choices = [(ch, cp) for ch, cp in choices if cp is not None]
        if not choices:
            return "", None
        return self.rng.choice(choices)

    # --- writing -------------------------------------------------------------------------------
    def write(self, rows: Rows, spec: CaseSpec, planned: list[Planned]) -> list[dict[str, Any]]:
        """Attempt and decision rows for the planned history; returns the attempts kept."""
        kept: list[dict[str, Any]] = []
        ledger: list[LedgerEntry] = []
        debt_ids = [d["id"] for d in spec.debts]
        debt_set = frozenset(debt_ids)
        base = DebtorContext(spec) if self.evaluate_each else None
        for p in planned:
            flagged = False
            reasons: list[dict[str, str]] = []
            decision_fields: dict[str, Any]
            if base is not None:
                ctx = base.context(p, ledger)
                if p.direction == "inbound":
                    # The person called us: not an outreach, so there is nothing to evaluate or
                    # replay; the decision records that the import saw and accepted it.
                    decision_fields = {
                        "allowed": True,
                        "reasons": [],
                        "warnings": [],
                        "next_allowed_at": None,
                        "inputs": {"direction": "inbound", "note": INBOUND_NOTE},
                    }
                else:
                    result = evaluate(ctx)
                    reasons = [r.to_dict() for r in result.reasons]
                    if not result.allowed and not p.late_agency_call:
                        continue
                    flagged = not result.allowed
                    decision_fields = {
                        "allowed": result.allowed,
                        "reasons": reasons,
                        "warnings": [w.to_dict() for w in result.warnings],
                        "next_allowed_at": result.next_allowed_at,
                        "inputs": {"context": context_to_dict(ctx), "evaluated": result.inputs},
                    }
            else:
                decision_fields = {
                    "allowed": True,
                    "reasons": [],
                    "warnings": [],
                    "next_allowed_at": None,
                    "inputs": {"note": DEMO_INPUTS_NOTE},
                }
            attempt_id = self.ids.take("attempt")
            decision = rows.add(
                "decision",
                {
                    "id": self.ids.take("decision"),
                    "created_at": p.at + timedelta(minutes=7),
                    "evaluated_at": p.at,
                    "actor_id": p.actor_id,
                    "actor_label": "agency dialer sync" if p.late_agency_call else "demo import",
                    "debtor_id": spec.debtor["id"],
                    "contact_point_id": p.cp["id"],
                    "channel": p.channel,
                    "purpose": "import",
                    "engine_version": ENGINE_VERSION,
                    **decision_fields,
                },
            )
            attempt = rows.add(
                "attempt",
                {
                    "id": attempt_id,
                    "case_id": spec.case["id"],
                    "debtor_id": spec.debtor["id"],
                    "contact_point_id": p.cp["id"],
                    "person": "debtor" if p.cp["owner"] == "debtor" else f"tp:{p.cp['id']}",
                    "channel": p.channel,
                    "direction": p.direction,
                    "occurred_at": p.at,
                    "status": "completed",
                    "outcome": p.outcome,
                    "outcome_recorded_at": p.at + timedelta(minutes=self.rng.randrange(1, 9)),
                    "actor_id": p.actor_id,
                    "source": "import",
                    "decision_id": decision["id"],
                    "flagged": flagged,
                    "flag_reasons": reasons if flagged else [],
                    "notes": "Late call from the agency's dialer." if p.late_agency_call else "",
                    "corrects_id": None,
                    "external_reference": "",
                    "created_at": p.at + timedelta(minutes=7),
                },
            )
            for debt_id in debt_ids:
                rows.add("attempt_debts", {"contactattempt_id": attempt_id, "debt_id": debt_id})
                if p.outcome == "conversation":
                    rows.add(
                        "attempt_debts_discussed",
                        {"contactattempt_id": attempt_id, "debt_id": debt_id},
                    )
            ledger.append(
                LedgerEntry(
                    id=attempt_id,
                    occurred_at=p.at,
                    channel=p.channel,
                    direction=p.direction,
                    outcome=p.outcome,
                    contact_point_id=p.cp["id"],
                    person=attempt["person"],
                    debt_ids=debt_set,
                    source="import",
                )
            )
            kept.append(attempt)
        spec.ledger = ledger
        return kept
