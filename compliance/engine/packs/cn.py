"""China (pack ``cn``), in Beijing time (Asia/Shanghai).

- China Banking Association, 金融机构个人消费类贷款催收工作指引(试行) (2026-01-30), "CBA2026";
- GB/T 45251-2025, online consumer loans (product ``online_loan``);
- 商业银行信用卡业务监督管理办法 art. 68 (credit cards: collect from cardholder and guarantor).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time

from compliance.engine.context import (
    ANSWERED_OUTCOMES,
    CALL_CHANNELS,
    DEBTOR,
    DEBTOR_CONNECTED_OUTCOMES,
    PHONE_KINDS,
    OutreachContext,
)
from compliance.engine.facts import SHANGHAI, EntryFact, Facts
from compliance.engine.result import (
    DAILY_ATTEMPT_LIMIT,
    DAILY_CONNECTED_CALL_LIMIT,
    THIRD_PARTY_RESTRICTED,
    PackResult,
    Reason,
)

from ._base import Rule, hours_reasons, run_rules

NAME = "cn"
VERSION = "cba2026-gbt45251-2025"


@dataclass(frozen=True, slots=True)
class Settings:
    earliest: time = time(8)  # CBA2026; GB/T 45251-2025
    latest: time = time(22)
    max_unanswered_attempts_per_contact_point_per_day: int = 6  # CBA2026
    max_connected_calls_per_day_online_loan: int = 3  # GB/T 45251-2025
    failed_calls_before_third_party: int = 3  # CBA2026
    unreached_days_before_third_party: int = 3  # CBA2026


SETTINGS = Settings()
# Parties to the debt or the debtor's representative: not "third parties unrelated to the debt".
NOT_THIRD_PARTY = frozenset({"guarantor", "attorney"})
FAILED_CALL = frozenset(
    {
        "no_answer",
        "busy",
        "voicemail_no_message",
        "voicemail",
        "limited_content_message",
        "not_in_service",
        "failed",
    }
)
INVALID_NUMBER = frozenset({"not_in_service", "wrong_number"})


def applies(ctx: OutreachContext) -> bool:
    return ctx.debtor_country.upper() == "CN"


def _zi(f: Facts) -> int:
    return f.zone_index(SHANGHAI)


def hours(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """CBA2026 and GB/T 45251-2025: no collection of any kind 22:00-08:00 without consent."""
    yield from hours_reasons(
        ctx,
        f,
        rule="cn:CBA2026 hours",
        start=SETTINGS.earliest,
        end=SETTINGS.latest,
        zone_indices=(_zi(f),),
    )


def daily_attempts(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """CBA2026: when the phone is not answered, at most 6 attempts a day on the same contact
    method (per contact point per Beijing day)."""
    if ctx.channel not in CALL_CHANNELS:
        return
    zi = _zi(f)
    day = f.local_days(ctx.at)[zi]
    n = sum(
        1
        for ef in f.entries_until(ctx.at)
        if ef.entry.contact_point_id == ctx.contact_point.id
        and ef.entry.direction == "outbound"
        and ef.entry.channel in CALL_CHANNELS
        and ef.entry.outcome not in ANSWERED_OUTCOMES
        and ef.days[zi] == day
    )
    limit = SETTINGS.max_unanswered_attempts_per_contact_point_per_day
    if n >= limit:
        yield Reason(
            DAILY_ATTEMPT_LIMIT,
            "cn:CBA2026 daily attempts",
            f"{n} unanswered attempts on this contact point today (limit {limit}).",
        )


def _online_loan_debts(ctx: OutreachContext, f: Facts) -> list[int]:
    return [d for d in f.target_debts if d in f.debts and f.debts[d].product == "online_loan"]


def connected_calls(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """GB/T 45251-2025: at most 3 connected voice calls per debtor per day, counted across the
    lender and all its agencies (per creditor)."""
    if ctx.channel not in CALL_CHANNELS or ctx.person != DEBTOR:
        return
    online = _online_loan_debts(ctx, f)
    if not online:
        return
    zi = _zi(f)
    day = f.local_days(ctx.at)[zi]
    for creditor in sorted({f.debts[d].creditor for d in online}):
        lender_debts = frozenset(
            d.id for d in f.debts.values() if d.creditor == creditor and d.product == "online_loan"
        )
        n = sum(
            1
            for ef in f.entries_until(ctx.at)
            if ef.entry.person == DEBTOR
            and ef.entry.direction == "outbound"
            and ef.entry.channel in CALL_CHANNELS
            and ef.entry.outcome in DEBTOR_CONNECTED_OUTCOMES
            and ef.days[zi] == day
            and ef.debts & lender_debts
        )
        limit = SETTINGS.max_connected_calls_per_day_online_loan
        if n >= limit:
            yield Reason(
                DAILY_CONNECTED_CALL_LIMIT,
                "cn:GB/T 45251-2025 connected calls",
                f"Lender {creditor}: {n} connected calls with the debtor today (limit {limit}).",
            )


def _debtor_unreachable(ctx: OutreachContext, f: Facts, entries: list[EntryFact]) -> bool:
    """CBA2026: the debtor's number is invalid; or from the day after 3 consecutive failed
    calls to the debtor's own mobile; or after 3 consecutive days without reaching them."""
    zi = _zi(f)
    day = f.local_days(ctx.at)[zi]
    phones = [
        cp for cp in f.contact_points.values() if cp.owner == DEBTOR and cp.kind in PHONE_KINDS
    ]
    last_outcome: dict[int, str | None] = {}
    for ef in entries:
        e = ef.entry
        if e.direction == "outbound" and e.channel in CALL_CHANNELS and e.contact_point_id:
            last_outcome[e.contact_point_id] = e.outcome
    if all(cp.wrong_number or last_outcome.get(cp.id) in INVALID_NUMBER for cp in phones):
        return True
    mobiles = {cp.id for cp in phones if cp.kind == "mobile"}
    mobile_calls = [
        ef
        for ef in entries
        if ef.entry.contact_point_id in mobiles
        and ef.entry.direction == "outbound"
        and ef.entry.channel in CALL_CHANNELS
    ]
    n = SETTINGS.failed_calls_before_third_party
    last = mobile_calls[-n:]
    if (
        len(last) == n
        and all(ef.entry.outcome in FAILED_CALL for ef in last)
        and last[-1].days[zi] < day
    ):
        return True
    k = SETTINGS.unreached_days_before_third_party
    tried = {
        ef.days[zi]
        for ef in entries
        if ef.entry.person == DEBTOR and ef.entry.direction == "outbound"
    }
    reached = any(
        ef.entry.person == DEBTOR
        and ef.days[zi] >= day - k
        and (ef.entry.direction == "inbound" or ef.entry.outcome in DEBTOR_CONNECTED_OUTCOMES)
        for ef in entries
    )
    return not reached and all(day - j in tried for j in range(1, k + 1))


def third_party(ctx: OutreachContext, f: Facts) -> Iterator[Reason]:
    """CBA2026: no collection from third parties unrelated to the debt, except to locate an
    unreachable debtor; GB/T 45251-2025: online loans never through listed contacts."""
    if not ctx.is_third_party or ctx.contact_point.relationship in NOT_THIRD_PARTY:
        return
    if _online_loan_debts(ctx, f):
        yield Reason(
            THIRD_PARTY_RESTRICTED,
            "cn:GB/T 45251-2025 third parties",
            "Online loans are collected only from the debtor, never from listed contacts.",
            permanent=True,
        )
        return
    if not _debtor_unreachable(ctx, f, f.entries_until(ctx.at)):
        yield Reason(
            THIRD_PARTY_RESTRICTED,
            "cn:CBA2026 third parties",
            "A third party may be contacted only when the debtor cannot be reached.",
        )


RULES: tuple[Rule, ...] = (hours, third_party, daily_attempts, connected_calls)
WINDOW = (SETTINGS.earliest, SETTINGS.latest)


def evaluate(ctx: OutreachContext, facts: Facts | None = None) -> PackResult:
    f = facts or Facts.build(ctx)
    return PackResult(reasons=run_rules(RULES, ctx, f), window=WINDOW)
