"""The engine's view of one debtor (`DebtorSnapshot`) and the context of one outreach built
from it (`context_build`): constants shared by every reader, the conversions of stored rows
into engine data, and the plausible zones of the person reached."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from collections_app.models import ContactPoint, Debtor
from collections_app.models.debt import OPEN_DEBT_STATUSES
from compliance.engine import (
    ConsentInfo,
    ContactPointInfo,
    DebtInfo,
    HouseSettings,
    LedgerEntry,
    OutreachContext,
    RestrictionInfo,
    ZoneSource,
    resolve_zones,
)
from compliance.engine.context import CLOSED_DEBT_STATUSES, PHONE_KINDS
from compliance.engine.lookback import COUNTING_DAYS

# The contact point kinds that can carry each channel, best first.
CHANNEL_KINDS: dict[str, tuple[str, ...]] = {
    "call": ("mobile", "landline", "work_phone"),
    "sms": ("mobile",),
    "email": ("email",),
    "letter": ("postal",),
    "visit": ("postal",),
    "wechat": ("wechat",),
}
# The counting window read whole; older facts a rule still reads come too
# (`compliance.engine.lookback`).
LEDGER_DAYS = COUNTING_DAYS
# The debtor fields the rules read (callers may load only these: `.only(*DEBTOR_FIELDS)`).
DEBTOR_FIELDS = ("id", "country", "region", "city", "timezone", "deceased")


@dataclass
@dataclass
class DebtorSnapshot:
    """Everything about one debtor that the rules may look at, as engine data."""

    debtor: Debtor
    contact_points: dict[int, ContactPointInfo] = field(default_factory=dict)
    debts: dict[int, DebtInfo] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    restrictions: list[RestrictionInfo] = field(default_factory=list)
    consents: list[ConsentInfo] = field(default_factory=list)
    # Zones of a phone number as stored on its contact point (`ContactPoint.timezones`), by
    # number; a number missing here is parsed (`zones_for_phone`).
    phone_zones: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def open_debt_ids(self) -> frozenset[int]:
        return frozenset(d.id for d in self.debts.values() if d.is_open)


def debt_status_for_engine(status: str) -> str:
    """The engine knows "open" and a set of closed statuses; ours are mapped onto them."""
    if status in OPEN_DEBT_STATUSES:
        return "open"
    return status if status in CLOSED_DEBT_STATUSES else "closed"


def contact_point_info(cp: ContactPoint) -> ContactPointInfo:
    return ContactPointInfo(
        id=cp.pk,
        kind=cp.kind,
        value=cp.value,
        owner=cp.owner,
        relationship=cp.relationship,
        is_employer_provided=cp.is_employer_provided,
        wrong_number=cp.wrong_number,
        is_verified=cp.is_verified,
    )


def weekly_windows_for_engine(raw: Iterable[object]) -> tuple[tuple[int, str, str], ...]:
    """Stored windows are `{"weekday","start","end"}` dicts (or 3-item lists)."""
    windows: list[tuple[int, str, str]] = []
    for w in raw or ():
        if isinstance(w, dict):
            windows.append((int(w["weekday"]), str(w["start"]), str(w["end"])))
        else:
            weekday, start, end = w  # type: ignore[misc]
            windows.append((int(weekday), str(start), str(end)))
    return tuple(windows)


def consent_info(
    snap: DebtorSnapshot,
    *,
    id: int,
    kind: str,
    given_at: datetime,
    expires_at: datetime | None,
    revoked_at: datetime | None,
    contact_point_id: int | None,
    debt_ids: frozenset[int],
) -> ConsentInfo | None:
    """The engine's form of a stored consent; None if it was revoked before it took effect."""
    # A revocation ends the consent like an earlier expiry would.
    ends = [t for t in (expires_at, revoked_at) if t is not None]
    ends_at = min(ends) if ends else None
    if ends_at is not None and ends_at <= given_at:
        return None
    person = "debtor"
    if contact_point_id is not None:
        cp_info = snap.contact_points.get(contact_point_id)
        if cp_info is not None:
            person = cp_info.person
    return ConsentInfo(
        id=id,
        kind=kind,
        given_at=given_at,
        expires_at=ends_at,
        debt_ids=debt_ids,
        contact_point_id=contact_point_id,
        person=person,
    )


def person_zones(snap: DebtorSnapshot, cp: ContactPointInfo) -> tuple[ZoneSource, ...]:
    """Plausible zones of the person reached at `cp` (Reg F comment 6(b)(1)(i)-2).

    The debtor: a verified zone on the debtor, every phone of theirs not known to be wrong,
    and the address region. A third party: their own number only (else the country).
    """
    debtor = snap.debtor
    if cp.owner != "debtor":
        phones = [cp.value] if cp.kind in PHONE_KINDS else []
        return resolve_zones(
            override=None,
            override_verified=False,
            phones=phones,
            country=debtor.country,
            region="",
            known=snap.phone_zones,
        )
    phones = [
        p.value
        for p in snap.contact_points.values()
        if p.owner == "debtor" and p.kind in PHONE_KINDS and not p.wrong_number
    ]
    return resolve_zones(
        override=debtor.timezone or None,
        override_verified=bool(debtor.timezone),
        phones=phones,
        country=debtor.country,
        region=debtor.region,
        known=snap.phone_zones,
    )


def context_build(
    *,
    snap: DebtorSnapshot,
    contact_point_id: int,
    channel: str,
    debt_ids: frozenset[int],
    at: datetime,
    house: HouseSettings,
    purpose: str = "collection",
    ledger: Sequence[LedgerEntry] | None = None,
) -> OutreachContext:
    """The engine's context for one outreach; `ledger` overrides the snapshot's (imports).

    The ledger is the snapshot's up to `at`: the counting window and the older facts the
    loader read because a rule reads them (`lookback.ledger_reduce`)."""
    cp = snap.contact_points[contact_point_id]
    entries = tuple(e for e in (snap.ledger if ledger is None else ledger) if e.occurred_at <= at)
    return OutreachContext(
        at=at,
        channel=channel,
        contact_point=cp,
        debtor_country=snap.debtor.country,
        outreach_debt_ids=debt_ids,
        debts=tuple(snap.debts.values()),
        debtor_region=snap.debtor.region,
        debtor_city=snap.debtor.city,
        debtor_deceased=snap.debtor.deceased,
        zones=person_zones(snap, cp),
        contact_points=tuple(snap.contact_points.values()),
        ledger=entries,
        restrictions=tuple(snap.restrictions),
        consents=tuple(snap.consents),
        house=house,
        purpose=purpose,
    )
