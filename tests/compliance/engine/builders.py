"""Small builders for engine tests: readable contexts and ledgers in local time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from compliance.engine import (
    ContactPointInfo,
    DebtInfo,
    LedgerEntry,
    OutreachContext,
    ZoneSource,
)

NY = ZoneInfo("America/New_York")
EASTERN = (ZoneSource("America/New_York", "address_region"),)

MOBILE = ContactPointInfo(id=1, kind="mobile", value="+12125550100")
HOME = ContactPointInfo(id=2, kind="landline", value="+12125550101")
WORK = ContactPointInfo(id=3, kind="work_phone", value="+12125550102")
EMAIL = ContactPointInfo(id=4, kind="email", value="pat@example.com")
WORK_EMAIL = ContactPointInfo(
    id=5, kind="email", value="pat@employer.example", is_employer_provided=True
)
NEIGHBOUR = ContactPointInfo(
    id=6, kind="mobile", value="+12125550199", owner="third_party", relationship="neighbour"
)
POSTAL = ContactPointInfo(id=7, kind="postal", value="1 Main St")
ALL_CPS = (MOBILE, HOME, WORK, EMAIL, WORK_EMAIL, NEIGHBOUR, POSTAL)

CARD = DebtInfo(id=1, creditor="Acme Bank", product="credit_card")

_ids = itertools.count(1000)


def at(
    y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0, zone: ZoneInfo = NY
) -> datetime:
    """An instant given in local wall-clock time, returned in UTC (as stored)."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=zone).astimezone(UTC)


def entry(
    when: datetime,
    outcome: str | None = "no_answer",
    *,
    channel: str = "call",
    cp: ContactPointInfo = MOBILE,
    debts: frozenset[int] | set[int] = frozenset({1}),
    discussed: frozenset[int] | set[int] = frozenset(),
    direction: str = "outbound",
    person: str | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        id=next(_ids),
        occurred_at=when,
        channel=channel,
        direction=direction,
        outcome=outcome,
        contact_point_id=cp.id,
        person=person or cp.person,
        debt_ids=frozenset(debts),
        debts_discussed=frozenset(discussed),
    )


def context(when: datetime, **kw: Any) -> OutreachContext:
    defaults: dict[str, Any] = {
        "at": when,
        "channel": "call",
        "contact_point": MOBILE,
        "debtor_country": "US",
        "debtor_region": "NY",
        "debtor_city": "Albany",
        "outreach_debt_ids": frozenset({1}),
        "debts": (CARD,),
        "zones": EASTERN,
        "contact_points": ALL_CPS,
    }
    defaults.update(kw)
    return OutreachContext(**defaults)


def codes(decision: Any) -> set[str]:
    return {r.code for r in decision.reasons}
