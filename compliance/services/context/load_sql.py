"""`snapshots_load` on PostgreSQL: the five reads of a snapshot as one statement of plain SQL
returning tuples (building ORM querysets and model rows cost far more CPU than the rows
themselves, on the gate's path and for a batch of a thousand cases alike)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction

from collections_app.models import ContactAttempt, ContactPoint, Debt, Debtor
from compliance.engine import ContactPointInfo, DebtInfo, LedgerEntry, RestrictionInfo
from compliance.engine.context import CALL_CHANNELS, DEBTOR, PHONE_KINDS
from compliance.engine.lookback import (
    INBOUND_TEXT_DAYS,
    LAST_CALLS_PER_PHONE,
    THIRD_PARTY_COMMUNICATED,
)
from compliance.models import Consent, ContactRestriction
from config.dbjit import jit_off_by_settings

from .snapshot import (
    DebtorSnapshot,
    consent_info,
    debt_status_for_engine,
    weekly_windows_for_engine,
)


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


def _quoted(values: Iterable[str]) -> str:
    """Constants of the engine as an SQL list (no value of a row is ever put into text)."""
    return ", ".join(f"'{v}'" for v in sorted(values))


def _older_facts_sql(alias: str) -> str:
    """`lookback.keeps_older` in SQL: the facts from before the counting window that a rule
    still reads (the partial index `attempt_debtor_lookback` holds exactly these rows, bar the
    age of a text)."""
    return f"""(({alias}.direction = 'inbound' AND {alias}.channel = 'email')
        OR ({alias}.direction = 'inbound' AND {alias}.channel = 'sms'
            AND {alias}.occurred_at >= %(texts_since)s)
        OR ({alias}.outcome IN ({_quoted(THIRD_PARTY_COMMUNICATED)})
            AND NOT ({alias}.person IN ('', '{DEBTOR}'))))"""


def _snapshot_sql(*, until: bool) -> str:
    """The five reads of a snapshot as one statement: one round trip instead of five, which
    is most of the gate's wall time on a busy database. Each branch is tagged; the columns
    are shared positionally (see `snapshots_load_sql` for which branch uses which)."""
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
    calls, phones = _quoted(CALL_CHANNELS), _quoted(PHONE_KINDS)
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
        SELECT 2, a.occurred_at, a.id, a.debtor_id, a.contact_point_id, a.channel,
          a.direction, a.outcome, a.person, a.source, NULL, NULL, NULL, NULL, NULL,
          {attempt_debts}, {discussed}, NULL
        FROM "{a}" a
        WHERE a.debtor_id = ANY(%(ids)s::bigint[]) AND a.occurred_at < %(since)s
          AND {_older_facts_sql("a")}
        UNION ALL
        SELECT 2, a.occurred_at, a.id, a.debtor_id, a.contact_point_id, a.channel,
          a.direction, a.outcome, a.person, a.source, NULL, NULL, NULL, NULL, NULL,
          {attempt_debts}, {discussed}, NULL
        FROM "{p}" lp CROSS JOIN LATERAL (
          SELECT * FROM "{a}" x
          WHERE x.contact_point_id = lp.id AND x.occurred_at < %(since)s
            AND x.direction = 'outbound' AND x.channel IN ({calls})
          ORDER BY x.occurred_at DESC, x.id DESC LIMIT {LAST_CALLS_PER_PHONE}) a
        WHERE lp.debtor_id = ANY(%(ids)s::bigint[]) AND lp.owner = '{DEBTOR}'
          AND lp.kind IN ({phones})
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


def snapshots_load_sql(
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
        "texts_since": since - timedelta(days=INBOUND_TEXT_DAYS),
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
    attempts_seen: set[int] = set()
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
            if row_id in attempts_seen:
                continue  # an older fact that is also one of the last calls to a phone
            attempts_seen.add(row_id)
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
