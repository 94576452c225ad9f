"""How far back the rules read the ledger, so that a loader can read less than all of it.

Every counting rule looks at most 30 local days back (Massachusetts' 30-day periods; the others
count 7 days or one day), so a loader reads every entry of the last ``COUNTING_DAYS`` days (five
more than 30 cover local-day boundaries in any zone). A few rules read older facts, which must
be read too however old they are:

- 1006.10(c), ``us_federal.third_party_once``: a third party once communicated with stays so;
- 1006.22(f)(3), ``us_federal.employer_email``: an address the consumer emailed from;
- 1006.6(d)(5), ``us_federal.text_consent``: a text from the number within the last 60 days;
- CBA2026 third parties, ``cn._debtor_unreachable``: the last outcome on each of the debtor's
  phones and the last 3 calls to the debtor's mobiles, however long ago.

``ledger_reduce`` is the reference selection: for any instant ``t`` at or after ``since``, the
engine decides the same on ``ledger_reduce(ledger, since)`` as on the whole ledger (tested on
random ledgers). The loaders (``compliance.services.context``) read the same rows with SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from compliance.engine.context import (
    CALL_CHANNELS,
    DEBTOR,
    PHONE_KINDS,
    ContactPointInfo,
    LedgerEntry,
)
from compliance.engine.packs import cn, us_federal

COUNTING_DAYS = 35
# Texts received from the consumer's number count as consent for this long.
INBOUND_TEXT_DAYS = us_federal.SETTINGS.sms_consent_days
# Outcomes after which a third party has been communicated with (1006.10(c)).
THIRD_PARTY_COMMUNICATED = us_federal.COMMUNICATED
# Calls kept per phone of the debtor, whatever their age (CBA2026: 3 consecutive failed calls).
LAST_CALLS_PER_PHONE = cn.SETTINGS.failed_calls_before_third_party


def keeps_older(entry: LedgerEntry, since: datetime) -> bool:
    """Whether an entry from before ``since`` is a fact a rule still reads (all but the last
    calls per phone, which depend on the other entries: see ``ledger_reduce``)."""
    if entry.direction == "inbound" and entry.channel == "email":
        return True
    if (
        entry.direction == "inbound"
        and entry.channel == "sms"
        and entry.occurred_at >= since - timedelta(days=INBOUND_TEXT_DAYS)
    ):
        return True
    return entry.person != DEBTOR and entry.outcome in THIRD_PARTY_COMMUNICATED


def is_debtor_phone(cp: ContactPointInfo | None) -> bool:
    return cp is not None and cp.owner == DEBTOR and cp.kind in PHONE_KINDS


def ledger_reduce(
    ledger: Iterable[LedgerEntry], since: datetime, contact_points: Mapping[int, ContactPointInfo]
) -> tuple[LedgerEntry, ...]:
    """The entries a loader reads: all from ``since`` on, and the older ones in
    ``keeps_older`` or among the last ``LAST_CALLS_PER_PHONE`` outbound calls to each of the
    debtor's phones before ``since``; in time order."""
    ordered = sorted(ledger, key=lambda e: (e.occurred_at, e.id))
    last_calls: dict[int, list[int]] = {}
    for e in ordered:
        if (
            e.occurred_at < since
            and e.direction == "outbound"
            and e.channel in CALL_CHANNELS
            and e.contact_point_id is not None
            and is_debtor_phone(contact_points.get(e.contact_point_id))
        ):
            last_calls.setdefault(e.contact_point_id, []).append(e.id)
    kept_calls = {i for ids in last_calls.values() for i in ids[-LAST_CALLS_PER_PHONE:]}
    return tuple(
        e for e in ordered if e.occurred_at >= since or e.id in kept_calls or keeps_older(e, since)
    )
