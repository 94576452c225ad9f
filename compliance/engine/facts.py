"""Facts derived once per context, shared by every pack and every instant of a search.

The ledger does not change while ``next_allowed_at`` is searched, so the local day of each
entry in each plausible zone, its effective debts and whether it is a placed call are computed
once here; the rules then only compare integers (date ordinals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from compliance.engine.context import (
    CALL_CHANNELS,
    DEBTOR,
    NOT_CONNECTED_OUTCOMES,
    ConsentInfo,
    ContactPointInfo,
    DebtInfo,
    LedgerEntry,
    OutreachContext,
    RestrictionInfo,
)
from compliance.engine.timezones import zone_info, zones_for_country

SHANGHAI = "Asia/Shanghai"
UTC_ZONE = "UTC"


@dataclass(frozen=True, slots=True)
class EntryFact:
    entry: LedgerEntry
    at: datetime
    days: tuple[int, ...]  # local date ordinal in each zone of Facts.zones
    debts: frozenset[int]  # effective debts: empty debt_ids means every open debt
    discussed: frozenset[int]
    placed_call: bool  # a placed call for 1006.14(b)(2)
    conversation: bool  # a telephone conversation (either party starting it)

    @property
    def outbound(self) -> bool:
        return self.entry.direction == "outbound"


class Facts:
    """Per-context precomputation. Build with ``Facts.build(ctx)``."""

    __slots__ = (
        "callbacks",
        "contact_points",
        "conversations",
        "debts",
        "entries",
        "person_zones",
        "target_debts",
        "wrong_ids",
        "zone_known",
        "zone_names",
        "zone_sources",
        "zones",
    )

    def __init__(self) -> None:
        self.zone_names: tuple[str, ...] = ()
        self.zone_sources: tuple[str, ...] = ()
        self.zones: tuple[ZoneInfo, ...] = ()
        self.person_zones: tuple[int, ...] = ()
        self.zone_known = True
        self.entries: tuple[EntryFact, ...] = ()
        self.contact_points: dict[int, ContactPointInfo] = {}
        self.wrong_ids: frozenset[int] = frozenset()
        self.debts: dict[int, DebtInfo] = {}
        self.target_debts: frozenset[int] = frozenset()
        self.conversations: dict[str, tuple[EntryFact, ...]] = {}
        self.callbacks: dict[str, tuple[tuple[ConsentInfo, tuple[int, ...]], ...]] = {}

    @classmethod
    def build(cls, ctx: OutreachContext) -> Facts:
        f = cls()
        names: dict[str, str] = {}
        for zs in ctx.zones:
            names.setdefault(zs.zone, zs.source)
        if not names:
            for zone in zones_for_country(ctx.debtor_country):
                names.setdefault(zone, "country_default")
        if not names:
            names[UTC_ZONE] = "unknown"
            f.zone_known = False
        person_count = len(names)
        if ctx.debtor_country.upper() == "CN":
            names.setdefault(SHANGHAI, "cn_legal_time")
        f.zone_names = tuple(names)
        f.zone_sources = tuple(names.values())
        f.zones = tuple(zone_info(n) for n in f.zone_names)
        f.person_zones = tuple(range(person_count))

        f.contact_points = {cp.id: cp for cp in ctx.contact_points}
        f.contact_points[ctx.contact_point.id] = ctx.contact_point
        f.wrong_ids = frozenset(i for i, cp in f.contact_points.items() if cp.wrong_number)
        f.debts = {d.id: d for d in ctx.debts}
        open_ids = ctx.all_open_debt_ids
        f.target_debts = ctx.outreach_debt_ids or open_ids

        facts: list[EntryFact] = []
        for e in sorted(ctx.ledger, key=lambda x: (x.occurred_at, x.id)):
            debts = e.debt_ids or open_ids
            is_call = e.channel in CALL_CHANNELS
            wrong = e.contact_point_id is not None and e.contact_point_id in f.wrong_ids
            facts.append(
                EntryFact(
                    entry=e,
                    at=e.occurred_at,
                    days=f.local_days(e.occurred_at),
                    debts=debts,
                    discussed=e.debts_discussed or debts,
                    placed_call=(
                        is_call
                        and e.direction == "outbound"
                        and e.outcome not in NOT_CONNECTED_OUTCOMES
                        and not wrong
                    ),
                    conversation=is_call and e.outcome == "conversation",
                )
            )
        f.entries = tuple(facts)
        conversations: dict[str, list[EntryFact]] = {}
        for ef in f.entries:
            if ef.conversation:
                conversations.setdefault(ef.entry.person, []).append(ef)
        f.conversations = {p: tuple(v) for p, v in conversations.items()}
        callbacks: dict[str, list[tuple[ConsentInfo, tuple[int, ...]]]] = {}
        for c in ctx.consents:
            if c.kind == "call_back":
                callbacks.setdefault(c.person, []).append((c, f.local_days(c.given_at)))
        f.callbacks = {p: tuple(v) for p, v in callbacks.items()}
        return f

    # -- local time -------------------------------------------------------------------------

    def local_days(self, t: datetime) -> tuple[int, ...]:
        return tuple(t.astimezone(z).date().toordinal() for z in self.zones)

    def zone_index(self, name: str) -> int:
        return self.zone_names.index(name)

    # -- Regulation F buckets ---------------------------------------------------------------

    def _consent_covers(
        self,
        consent: ConsentInfo,
        given_days: tuple[int, ...],
        *,
        person: str,
        debt: int,
        contact_point_id: int | None,
        at: datetime,
        day: int,
        zi: int,
        conversation_ends_inclusive: bool,
    ) -> bool:
        """1006.14(b)(3)(i): a call within 7 days of direct consent, day 1 = the day given,
        before the consent expires and before the next conversation about the debt."""
        if not consent.covers_debt(debt):
            return False
        if consent.contact_point_id is not None and consent.contact_point_id != contact_point_id:
            return False
        if not consent.given_at <= at or (consent.expires_at and at >= consent.expires_at):
            return False
        if day > given_days[zi] + 6:
            return False
        for conv in self.conversations.get(person, ()):
            if conv.at <= consent.given_at or debt not in conv.discussed:
                continue
            if conv.at < at or (conversation_ends_inclusive and conv.at == at):
                return False
        return True

    def excluded_by_consent(
        self,
        *,
        person: str,
        debt: int,
        contact_point_id: int | None,
        at: datetime,
        day: int,
        zi: int,
        candidate: bool,
    ) -> bool:
        for consent, given_days in self.callbacks.get(person, ()):
            if self._consent_covers(
                consent,
                given_days,
                person=person,
                debt=debt,
                contact_point_id=contact_point_id,
                at=at,
                day=day,
                zi=zi,
                conversation_ends_inclusive=candidate,
            ):
                return True
        return False

    def regf_bucket(
        self, *, person: str, debt: int, at: datetime, day: int, zi: int
    ) -> tuple[int, int | None]:
        """Placed calls to ``person`` about ``debt`` on local days [day-6, day] of zone ``zi``
        not excluded by consent, and the day of the latest conversation about the debt in that
        window (None if none). 1006.14(b)(2)(i)(A) and (B)."""
        low = day - 6
        calls = 0
        for ef in self.entries:
            if ef.at > at:
                break
            e = ef.entry
            if not ef.placed_call or e.person != person or debt not in ef.debts:
                continue
            d = ef.days[zi]
            if d < low or d > day:
                continue
            if self.callbacks and self.excluded_by_consent(
                person=person,
                debt=debt,
                contact_point_id=e.contact_point_id,
                at=ef.at,
                day=d,
                zi=zi,
                candidate=False,
            ):
                continue
            calls += 1
        last_conversation: int | None = None
        for conv in self.conversations.get(person, ()):
            if conv.at > at:
                break
            d = conv.days[zi]
            if low <= d <= day and debt in conv.discussed:
                last_conversation = d
        return calls, last_conversation

    # -- helpers over entries ---------------------------------------------------------------

    def entries_until(self, at: datetime) -> list[EntryFact]:
        out = []
        for ef in self.entries:
            if ef.at > at:
                break
            out.append(ef)
        return out


def person_of(ctx: OutreachContext) -> str:
    return ctx.contact_point.person


def matching_restrictions(
    ctx: OutreachContext, kind: str, at: datetime, *, debt_scoped: bool = True
) -> list[RestrictionInfo]:
    """Active restrictions of ``kind`` whose scope covers this outreach."""
    if not ctx.restrictions:
        return []
    targets = ctx.outreach_debt_ids or ctx.all_open_debt_ids
    out = []
    for r in ctx.restrictions:
        if r.kind != kind or not r.active(at):
            continue
        if r.channel is not None and r.channel != ctx.channel:
            continue
        if r.contact_point_id is not None and r.contact_point_id != ctx.contact_point.id:
            continue
        if debt_scoped and r.debt_ids and targets and not (r.debt_ids & targets):
            continue
        out.append(r)
    return out


def hours_consent_active(ctx: OutreachContext, at: datetime) -> bool:
    """The consumer's direct prior consent to be contacted at an otherwise inconvenient time
    (1006.6(b)(1))."""
    for c in ctx.consents:
        if c.kind != "inconvenient_time" or not c.active(at) or c.person != ctx.person:
            continue
        if c.contact_point_id is None or c.contact_point_id == ctx.contact_point.id:
            return True
    return False


def in_window(local: datetime, start: time, end: time) -> bool:
    """[start, end) on the local wall clock (``datetime.time()`` is already naive)."""
    return start <= local.time() < end


def is_debtor(person: str) -> bool:
    return person == DEBTOR
