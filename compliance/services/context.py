"""Load what the compliance engine needs from the database and build its plain-data context.

Both the gate (`outreach.outreach_reserve`, one debtor) and the batch eligibility selector
(many debtors) go through `snapshots_load`, which runs a fixed number of indexed queries
whatever the number of debtors or the size of their ledgers:

1. contact points of the debtors,
2. debts of the debtors,
3. attempts of the last `LEDGER_DAYS` days (index `attempt_debtor_time`) with the debts each
   concerned and discussed,
4. restrictions and 5. consents, with their debts.

On PostgreSQL the debt ids come with their rows as arrays (`ArraySubquery`); elsewhere (the
embedded SQLite default) each link table is one more query, still a fixed number.

On PostgreSQL the five reads are plain SQL returning tuples (`_snapshots_load_sql`): building
ORM querysets and model rows cost far more CPU than the rows themselves, on the gate's path
and for a batch of a thousand cases alike. `snapshots_load_orm` is the same read through the
ORM (other databases, and the reference the SQL one is tested against).

The debtor rows themselves come from the caller (the gate locks its row first; `DEBTOR_FIELDS`
are the fields the snapshot uses). The house policy is cached per process
(`house.house_policy_cached`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, router, transaction
from django.db.models import OuterRef

from collections_app.models import ContactAttempt, ContactPoint, Debt, Debtor
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
from compliance.models import Consent, ContactRestriction
from config.dbjit import jit_off_by_settings

# The contact point kinds that can carry each channel, best first.
CHANNEL_KINDS: dict[str, tuple[str, ...]] = {
    "call": ("mobile", "landline", "work_phone"),
    "sms": ("mobile",),
    "email": ("email",),
    "letter": ("postal",),
    "visit": ("postal",),
    "wechat": ("wechat",),
}
# Massachusetts counts 30 days; a few more cover local-day boundaries in any zone.
LEDGER_DAYS = 35
# The debtor fields the rules read (callers may load only these: `.only(*DEBTOR_FIELDS)`).
DEBTOR_FIELDS = ("id", "country", "region", "city", "timezone", "deceased")


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


def _debt_array(through: type, owner_field: str) -> Any:
    from django.contrib.postgres.expressions import ArraySubquery

    return ArraySubquery(
        through.objects.filter(**{f"{owner_field}_id": OuterRef("pk")})
        .order_by("debt_id")
        .values("debt_id")
    )


def _m2m_ids(through: type, owner_field: str, filters: dict[str, object]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for owner_id, debt_id in through.objects.filter(**filters).values_list(
        f"{owner_field}_id", "debt_id"
    ):
        out[owner_id].add(debt_id)
    return out


def snapshots_load(
    *, debtors: Sequence[Debtor], since: datetime, until: datetime | None = None
) -> dict[int, DebtorSnapshot]:
    """Snapshots of `debtors` with their ledger from `since` (to `until` when given)."""
    if connection.vendor == "postgresql":
        return _snapshots_load_sql(debtors=debtors, since=since, until=until)
    return snapshots_load_orm(debtors=debtors, since=since, until=until)


def snapshots_load_orm(
    *, debtors: Sequence[Debtor], since: datetime, until: datetime | None = None
) -> dict[int, DebtorSnapshot]:
    """`snapshots_load` through the ORM: model rows, any database."""
    snaps = {d.pk: DebtorSnapshot(debtor=d) for d in debtors}
    ids = list(snaps)
    if not ids:
        return snaps

    for cp in ContactPoint.objects.filter(debtor_id__in=ids).order_by("id"):
        snaps[cp.debtor_id].contact_points[cp.pk] = contact_point_info(cp)

    for debt_id, debtor_id, creditor, product, status in (
        Debt.objects.filter(debtor_id__in=ids)
        .order_by("id")
        .values_list("id", "debtor_id", "creditor", "product", "status")
    ):
        snaps[debtor_id].debts[debt_id] = DebtInfo(
            id=debt_id, creditor=creditor, product=product, status=debt_status_for_engine(status)
        )

    attempt_filter: dict[str, object] = {"debtor_id__in": ids, "occurred_at__gte": since}
    if until is not None:
        attempt_filter["occurred_at__lte"] = until
    attempts = ContactAttempt.objects.filter(**attempt_filter).order_by("occurred_at", "id")
    restrictions = ContactRestriction.objects.filter(debtor_id__in=ids).order_by(
        "effective_at", "id"
    )
    consents = Consent.objects.filter(debtor_id__in=ids).order_by("given_at", "id")
    if connection.vendor == "postgresql":
        # One query per kind of row: the debt ids come along as arrays.
        attempts = attempts.annotate(
            debt_ids=_debt_array(ContactAttempt.debts.through, "contactattempt"),
            discussed_ids=_debt_array(ContactAttempt.debts_discussed.through, "contactattempt"),
        )
        restrictions = restrictions.annotate(
            debt_ids=_debt_array(ContactRestriction.debts.through, "contactrestriction")
        )
        consents = consents.annotate(debt_ids=_debt_array(Consent.debts.through, "consent"))
        attempt_debts = discussed = restriction_debts = consent_debts = None
    else:
        through_filter = {f"contactattempt__{k}": v for k, v in attempt_filter.items()}
        attempt_debts = _m2m_ids(ContactAttempt.debts.through, "contactattempt", through_filter)
        discussed = _m2m_ids(
            ContactAttempt.debts_discussed.through, "contactattempt", through_filter
        )
        restriction_debts = _m2m_ids(
            ContactRestriction.debts.through,
            "contactrestriction",
            {"contactrestriction__debtor_id__in": ids},
        )
        consent_debts = _m2m_ids(Consent.debts.through, "consent", {"consent__debtor_id__in": ids})

    def debt_set(
        row: Any, by_owner: dict[int, set[int]] | None, attr: str = "debt_ids"
    ) -> frozenset[int]:
        if by_owner is None:
            return frozenset(getattr(row, attr) or ())
        return frozenset(by_owner.get(row.pk, ()))

    for a in attempts.only(
        "id",
        "debtor_id",
        "occurred_at",
        "channel",
        "direction",
        "outcome",
        "contact_point_id",
        "person",
        "source",
    ):
        snaps[a.debtor_id].ledger.append(
            LedgerEntry(
                id=a.pk,
                occurred_at=a.occurred_at,
                channel=a.channel,
                direction=a.direction,
                outcome=a.outcome or None,
                contact_point_id=a.contact_point_id,
                person=a.person or "debtor",
                debt_ids=debt_set(a, attempt_debts),
                debts_discussed=debt_set(a, discussed, "discussed_ids"),
                source=a.source,
            )
        )

    for r in restrictions:
        snaps[r.debtor_id].restrictions.append(
            RestrictionInfo(
                id=r.pk,
                kind=r.kind,
                effective_at=r.effective_at,
                ends_at=r.ends_at,
                channel=r.channel or None,
                contact_point_id=r.contact_point_id,
                debt_ids=debt_set(r, restriction_debts),
                weekly_windows=weekly_windows_for_engine(r.weekly_windows),
            )
        )

    for c in consents:
        snap = snaps[c.debtor_id]
        info = consent_info(
            snap,
            id=c.pk,
            kind=c.kind,
            given_at=c.given_at,
            expires_at=c.expires_at,
            revoked_at=c.revoked_at,
            contact_point_id=c.contact_point_id,
            debt_ids=debt_set(c, consent_debts),
        )
        if info is not None:
            snap.consents.append(info)
    return snaps


def _through_sql(through: type, owner_field: str, owner_ref: str) -> str:
    """`ARRAY(...)` of the debt ids linked to the row `owner_ref` (sorted, like the ORM's)."""
    meta = through._meta  # type: ignore[attr-defined]
    owner_col = meta.get_field(owner_field).column
    debt_col = meta.get_field("debt").column
    # Model metadata only: no value of a row is ever put into the text.
    table = meta.db_table
    return f'ARRAY(SELECT t."{debt_col}" FROM "{table}" t WHERE t."{owner_col}" = {owner_ref} ORDER BY t."{debt_col}")'  # noqa: S608, E501


def _stored_phone_zones_sql(alias: str) -> str:
    """The zones of the number itself among those stored on a phone contact point, or NULL
    when they cannot be told apart: nothing stored (parse the number), or an override stored
    (an override hides the number's zones, see `resolve_zones`). Otherwise every zone of the
    number was stored with the source "phone_area_code", in the resolver's order."""
    kinds = ", ".join(f"'{k}'" for k in sorted(PHONE_KINDS))
    return f"""CASE WHEN {alias}.kind IN ({kinds})
          AND jsonb_typeof({alias}.timezones) = 'array'
          AND jsonb_array_length({alias}.timezones) > 0
          AND NOT {alias}.timezones @> '[{{"source": "override"}}]'::jsonb
        THEN ARRAY(SELECT z.value ->> 'zone'
                   FROM jsonb_array_elements({alias}.timezones) WITH ORDINALITY z(value, n)
                   WHERE z.value ->> 'source' = 'phone_area_code' ORDER BY z.n)
        END"""  # noqa: S608 (constants only)


def _snapshot_sql(*, until: bool) -> str:
    """The five reads of a snapshot as one statement: one round trip instead of five, which
    is most of the gate's wall time on a busy database. Each branch is tagged; the columns
    are shared positionally (see `_snapshots_load_sql` for which branch uses which)."""
    p, a, r, c = (
        ContactPoint._meta.db_table,
        ContactAttempt._meta.db_table,
        ContactRestriction._meta.db_table,
        Consent._meta.db_table,
    )
    debt = Debt._meta.db_table
    attempt_debts = _through_sql(ContactAttempt.debts.through, "contactattempt", "a.id")
    discussed = _through_sql(ContactAttempt.debts_discussed.through, "contactattempt", "a.id")
    restriction_debts = _through_sql(ContactRestriction.debts.through, "contactrestriction", "r.id")
    consent_debts = _through_sql(Consent.debts.through, "consent", "c.id")
    no_time, no_text, no_ids = "NULL::timestamptz", "NULL::text", "NULL::bigint[]"
    until_sql = " AND a.occurred_at <= %(until)s" if until else ""
    return f"""
        SELECT 0 AS tag, {no_time} AS sort_at, p.id::bigint, p.debtor_id::bigint,
          NULL::bigint, p.kind::text, p.value::text, p.owner::text, p.relationship::text,
          {no_text}, p.is_employer_provided, p.wrong_number, p.is_verified, {no_time},
          {no_time}, {no_ids}, {no_ids}, {_stored_phone_zones_sql("p")}::text[]
        FROM "{p}" p WHERE p.debtor_id = ANY(%(ids)s::bigint[])
        UNION ALL
        SELECT 1, {no_time}, d.id, d.debtor_id, NULL, d.creditor, d.product, d.status, NULL,
          NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM "{debt}" d WHERE d.debtor_id = ANY(%(ids)s::bigint[])
        UNION ALL
        SELECT 2, a.occurred_at, a.id, a.debtor_id, a.contact_point_id, a.channel,
          a.direction, a.outcome, a.person, a.source, NULL, NULL, NULL, NULL, NULL,
          {attempt_debts}, {discussed}, NULL
        FROM "{a}" a
        WHERE a.debtor_id = ANY(%(ids)s::bigint[]) AND a.occurred_at >= %(since)s{until_sql}
        UNION ALL
        SELECT 3, r.effective_at, r.id, r.debtor_id, r.contact_point_id, r.kind, r.channel,
          r.weekly_windows::text, NULL, NULL, NULL, NULL, NULL, r.ends_at, NULL,
          {restriction_debts}, NULL, NULL
        FROM "{r}" r WHERE r.debtor_id = ANY(%(ids)s::bigint[])
        UNION ALL
        SELECT 4, c.given_at, c.id, c.debtor_id, c.contact_point_id, c.kind, NULL, NULL,
          NULL, NULL, NULL, NULL, NULL, c.expires_at, c.revoked_at, {consent_debts}, NULL,
          NULL
        FROM "{c}" c WHERE c.debtor_id = ANY(%(ids)s::bigint[])
        ORDER BY tag, sort_at, id
    """  # noqa: S608 (model metadata only; every value is a parameter)


CONTACT_POINT, DEBT, ATTEMPT, RESTRICTION, CONSENT = range(5)
# A snapshot of this many debtors or more (a batch, not the single gate) is read with
# PostgreSQL's JIT compilation off; one threshold, so a batch costs the same queries whatever
# its size.
JIT_OFF_FROM_DEBTORS = 2


def _snapshots_load_sql(
    *, debtors: Sequence[Debtor], since: datetime, until: datetime | None = None
) -> dict[int, DebtorSnapshot]:
    """`snapshots_load` on PostgreSQL: the same five reads in one statement of plain SQL
    returning tuples, in the ORM read's orders (contact points and debts by id, the ledger by
    time then id, restrictions by start then id, consents by date given then id)."""
    snaps = {d.pk: DebtorSnapshot(debtor=d) for d in debtors}
    ids = list(snaps)
    if not ids:
        return snaps
    # The ids go as one array literal: a thousand-element ARRAY[...] repeated in five
    # branches costs more to plan than to run.
    params: dict[str, object] = {
        "ids": "{" + ",".join(str(int(i)) for i in ids) + "}",
        "since": since,
        "until": until,
    }
    sql = _snapshot_sql(until=until is not None)
    # The database the ORM would read these rows from (the replica inside `replica_reads()`).
    alias = router.db_for_read(ContactAttempt) or DEFAULT_DB_ALIAS
    with connections[alias].cursor() as cursor:
        if len(ids) < JIT_OFF_FROM_DEBTORS or jit_off_by_settings(alias):
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        else:
            # The per-row ARRAY subqueries make the planner's estimate for a batch large
            # enough to JIT-compile the statement, which costs more than running it (about
            # 100 ms for a thousand debtors). Off for this statement only: the setting is
            # local to the transaction and put back right after.
            with transaction.atomic(using=alias, savepoint=False):
                cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
                previous = cursor.fetchone()[0]
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                cursor.execute("SELECT set_config('jit', %s, true)", [previous])
    for (
        tag,
        at,
        row_id,
        debtor_id,
        cp_id,
        s1,
        s2,
        s3,
        s4,
        s5,
        b1,
        b2,
        b3,
        t1,
        t2,
        ids1,
        ids2,
        zones,
    ) in rows:
        snap = snaps[debtor_id]
        if tag == ATTEMPT:
            snap.ledger.append(
                LedgerEntry(
                    id=row_id,
                    occurred_at=at,
                    channel=s1,
                    direction=s2,
                    outcome=s3 or None,
                    contact_point_id=cp_id,
                    person=s4 or "debtor",
                    debt_ids=frozenset(ids1),
                    debts_discussed=frozenset(ids2),
                    source=s5,
                )
            )
        elif tag == CONTACT_POINT:
            snap.contact_points[row_id] = ContactPointInfo(
                id=row_id,
                kind=s1,
                value=s2,
                owner=s3,
                relationship=s4,
                is_employer_provided=b1,
                wrong_number=b2,
                is_verified=b3,
            )
            if zones is not None:
                snap.phone_zones.setdefault(s2, tuple(zones))
        elif tag == DEBT:
            snap.debts[row_id] = DebtInfo(
                id=row_id, creditor=s1, product=s2, status=debt_status_for_engine(s3)
            )
        elif tag == RESTRICTION:
            snap.restrictions.append(
                RestrictionInfo(
                    id=row_id,
                    kind=s1,
                    effective_at=at,
                    ends_at=t1,
                    channel=s2 or None,
                    contact_point_id=cp_id,
                    debt_ids=frozenset(ids1),
                    weekly_windows=weekly_windows_for_engine(json.loads(s3) if s3 else ()),
                )
            )
        else:
            # Consents come after the contact points (by tag): the person is looked up there.
            info = consent_info(
                snap,
                id=row_id,
                kind=s1,
                given_at=at,
                expires_at=t1,
                revoked_at=t2,
                contact_point_id=cp_id,
                debt_ids=frozenset(ids1),
            )
            if info is not None:
                snap.consents.append(info)
    return snaps


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
    """The engine's context for one outreach; `ledger` overrides the snapshot's (imports)."""
    cp = snap.contact_points[contact_point_id]
    window_start = at - timedelta(days=LEDGER_DAYS)
    entries = tuple(
        e
        for e in (snap.ledger if ledger is None else ledger)
        if window_start <= e.occurred_at <= at
    )
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
