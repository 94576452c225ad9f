"""Plain-data inputs of the compliance engine.

Everything here is keyed by ids and strings so that a service layer can build an
``OutreachContext`` from the database with one or two queries, store it as JSON next to the
decision (see ``compliance.engine.serialize``) and replay it later. No Django, no clock: the
instant being judged is ``OutreachContext.at``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

# Channels of an outreach and of ledger entries. A ringless voicemail is a telephone call for
# Regulation F (comment 14(b)-1), so it has its own channel and is counted with calls.
CHANNELS = frozenset({"call", "ringless_voicemail", "sms", "email", "letter", "visit", "wechat"})
CALL_CHANNELS = frozenset({"call", "ringless_voicemail"})
ELECTRONIC_CHANNELS = frozenset({"sms", "email", "wechat"})
# A postal letter has no "time of contact" the sender controls; hours rules skip it.
HOURS_EXEMPT_CHANNELS = frozenset({"letter"})

CONTACT_POINT_KINDS = frozenset({"mobile", "landline", "work_phone", "email", "postal", "wechat"})
PHONE_KINDS = frozenset({"mobile", "landline", "work_phone"})
DEBT_PRODUCTS = frozenset(
    {"credit_card", "personal_loan", "online_loan", "mortgage", "student_loan", "other"}
)
CLOSED_DEBT_STATUSES = frozenset({"paid", "settled", "closed", "written_off", "sold"})

OUTCOMES = frozenset(
    {
        "busy",
        "not_in_service",
        "no_answer",
        "voicemail_no_message",
        "voicemail",
        "limited_content_message",
        "answered_dropped",
        "conversation",
        "wrong_party",
        "wrong_number",
        "sent",
        "delivered",
        "failed",
        "visited",
        "not_home",
    }
)
# Attempts that never reached a line of the person: not placed calls (1006.14(b)(3)(ii),
# comment 14(b)(3)(ii)-1). A ``wrong_number`` outcome means the number is not the person's,
# so it stops counting for them (comment 14(b)(2)(i)-3).
NOT_CONNECTED_OUTCOMES = frozenset({"busy", "not_in_service", "failed", "wrong_number"})
# Someone picked up.
ANSWERED_OUTCOMES = frozenset({"conversation", "answered_dropped", "wrong_party"})
# Outcomes in which the debtor (not a stranger) was on the line.
DEBTOR_CONNECTED_OUTCOMES = frozenset({"conversation", "answered_dropped"})

RESTRICTION_KINDS = frozenset(
    {
        "cease_communication",
        "attorney_represented",
        "dispute",
        "bankruptcy",
        "channel_ban",
        "inconvenient_time",
        "workplace",
        "do_not_contact",
    }
)
CONSENT_KINDS = frozenset({"call_back", "sms", "email", "inconvenient_time"})
ZONE_SOURCES = frozenset({"override", "phone_area_code", "address_region", "country_default"})
PURPOSES = frozenset({"collection", "final_notice"})

DEBTOR = "debtor"


def third_party_person(contact_point_id: int) -> str:
    """Person key of a third party: each third-party contact point is its own person."""
    return f"tp:{contact_point_id}"


@dataclass(frozen=True, slots=True)
class ZoneSource:
    """One plausible IANA zone of the person and where it came from."""

    zone: str
    source: str


@dataclass(frozen=True, slots=True)
class DebtInfo:
    id: int
    creditor: str
    product: str
    status: str = "open"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_DEBT_STATUSES


@dataclass(frozen=True, slots=True)
class ContactPointInfo:
    """A phone, address or account of the debtor or of a third party.

    ``relationship`` is free text for third parties; the engine recognises ``attorney``
    (the consumer's attorney), ``spouse``, ``guardian``, ``executor``, ``administrator``,
    ``estate_representative`` and ``guarantor``.
    """

    id: int
    kind: str
    value: str
    owner: str = DEBTOR
    relationship: str = ""
    is_employer_provided: bool = False
    wrong_number: bool = False
    is_verified: bool = False

    @property
    def person(self) -> str:
        return DEBTOR if self.owner == DEBTOR else third_party_person(self.id)

    @property
    def is_workplace(self) -> bool:
        """A work phone, or an employer's postal address (visits and letters at work)."""
        return self.kind == "work_phone" or (self.kind == "postal" and self.is_employer_provided)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One contact attempt of the log (the ledger the rules count).

    ``outcome`` None means initiated / in progress: it counts as a placed call until its
    outcome says it did not connect. ``debt_ids`` empty means every open debt of the debtor
    (the conservative reading of a message naming no debt). ``debts_discussed`` empty means
    all of ``debt_ids``. ``person`` is ``"debtor"`` or ``"tp:<contact_point_id>"``.
    """

    id: int
    occurred_at: datetime
    channel: str
    direction: str = "outbound"
    outcome: str | None = None
    contact_point_id: int | None = None
    person: str = DEBTOR
    debt_ids: frozenset[int] = frozenset()
    debts_discussed: frozenset[int] = frozenset()
    source: str = "live"


@dataclass(frozen=True, slots=True)
class RestrictionInfo:
    """A contact restriction. Empty ``debt_ids`` = all debts; ``channel`` / ``contact_point_id``
    None = every channel / contact point. ``ends_at`` None = until a person lifts it.

    ``weekly_windows`` (kind ``inconvenient_time``): ``(weekday 0=Mon..6, "HH:MM", "HH:MM")``
    local times the consumer said are inconvenient; an end at or before the start wraps past
    midnight. No windows means the scoped channel / contact point is inconvenient at any time.
    An electronic opt-out (1006.6(e)) is a ``channel_ban`` with ``contact_point_id`` set.
    """

    id: int
    kind: str
    effective_at: datetime
    ends_at: datetime | None = None
    channel: str | None = None
    contact_point_id: int | None = None
    debt_ids: frozenset[int] = frozenset()
    weekly_windows: tuple[tuple[int, str, str], ...] = ()

    def active(self, at: datetime) -> bool:
        return self.effective_at <= at and (self.ends_at is None or at < self.ends_at)


@dataclass(frozen=True, slots=True)
class ConsentInfo:
    """A consent given directly to the collector.

    ``call_back``: calls within 7 days, day 1 = the day given, are excluded from the Regulation F
    counts (1006.14(b)(3)(i)); it ends early at ``expires_at`` (shorter period, revocation) or at
    the next telephone conversation about the debt. ``sms`` / ``email``: consent to that channel
    (``contact_point_id`` None = any address of the channel). ``inconvenient_time``: lifts the
    hours rules while active. ``person`` is who gave it (a third party asking to be called
    again, 1006.10, gives ``"tp:<id>"``).
    """

    id: int
    kind: str
    given_at: datetime
    expires_at: datetime | None = None
    debt_ids: frozenset[int] = frozenset()
    contact_point_id: int | None = None
    person: str = DEBTOR

    def active(self, at: datetime) -> bool:
        return self.given_at <= at and (self.expires_at is None or at < self.expires_at)

    def covers_debt(self, debt_id: int) -> bool:
        return not self.debt_ids or debt_id in self.debt_ids


@dataclass(frozen=True, slots=True)
class HouseSettings:
    """The organisation's own caps, on top of the law. None = no extra limit.

    Every applicable legal pack is always evaluated as well, so these settings can only add
    blocks; ``validate_stricter`` refuses values that would read as looser than Regulation F.
    """

    max_calls_per_7_days: int | None = None
    earliest_local_time: time | None = None
    latest_local_time: time | None = None
    max_daily_attempts_per_contact_point: int | None = None
    max_contacts_per_7_days: int | None = None
    no_contact_on_public_holidays: bool = False

    def validate_stricter(self) -> None:
        """Raise ValueError listing every setting looser than the law's default numbers."""
        problems: list[str] = []
        if self.max_calls_per_7_days is not None and not 0 <= self.max_calls_per_7_days <= 7:
            problems.append("max_calls_per_7_days must be between 0 and 7 (1006.14(b)(2))")
        if self.earliest_local_time is not None and self.earliest_local_time < time(8):
            problems.append("earliest_local_time must not be before 08:00 (1006.6(b)(1))")
        if self.latest_local_time is not None and self.latest_local_time > time(21):
            problems.append("latest_local_time must not be after 21:00 (1006.6(b)(1))")
        if (
            self.earliest_local_time is not None
            and self.latest_local_time is not None
            and self.earliest_local_time >= self.latest_local_time
        ):
            problems.append("earliest_local_time must be before latest_local_time")
        for name in ("max_daily_attempts_per_contact_point", "max_contacts_per_7_days"):
            value = getattr(self, name)
            if value is not None and value < 0:
                problems.append(f"{name} must not be negative")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True, slots=True)
class OutreachContext:
    """Everything the rules need to judge one outreach at instant ``at``.

    ``debts`` holds every debt of the debtor the ledger or the outreach mentions (for creditor
    and product lookups); ``outreach_debt_ids`` the debts this outreach concerns. ``zones`` are
    the plausible zones of the person contacted (see ``timezones.resolve_zones``).
    ``contact_points`` holds the debtor's and third parties' contact points referenced by the
    ledger (wrong-number flags, kinds); ``contact_point`` itself need not be repeated there.
    ``ledger`` is this debtor's attempts (third parties included) over at least the last 35
    days; entries after ``at`` are ignored.
    """

    at: datetime
    channel: str
    contact_point: ContactPointInfo
    debtor_country: str
    outreach_debt_ids: frozenset[int] = frozenset()
    debts: tuple[DebtInfo, ...] = ()
    debtor_region: str = ""
    debtor_city: str = ""
    debtor_deceased: bool = False
    zones: tuple[ZoneSource, ...] = ()
    contact_points: tuple[ContactPointInfo, ...] = ()
    ledger: tuple[LedgerEntry, ...] = ()
    restrictions: tuple[RestrictionInfo, ...] = ()
    consents: tuple[ConsentInfo, ...] = ()
    house: HouseSettings = field(default_factory=HouseSettings)
    purpose: str = "collection"

    @property
    def person(self) -> str:
        return self.contact_point.person

    @property
    def is_third_party(self) -> bool:
        return self.contact_point.owner != DEBTOR

    @property
    def all_open_debt_ids(self) -> frozenset[int]:
        return frozenset(d.id for d in self.debts if d.is_open)

    @property
    def wrong_number_contact_point_ids(self) -> frozenset[int]:
        ids = {cp.id for cp in self.contact_points if cp.wrong_number}
        if self.contact_point.wrong_number:
            ids.add(self.contact_point.id)
        return frozenset(ids)
