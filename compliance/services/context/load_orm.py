"""`snapshots_load` through the ORM: model rows, any database (the embedded SQLite default,
and the reference the PostgreSQL statement is tested against)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import F, OuterRef, Q, Window
from django.db.models.functions import RowNumber

from collections_app.models import ContactAttempt, ContactPoint, Debt, Debtor
from compliance.engine import DebtInfo, LedgerEntry, RestrictionInfo
from compliance.engine.context import CALL_CHANNELS, DEBTOR, PHONE_KINDS
from compliance.engine.lookback import (
    INBOUND_TEXT_DAYS,
    LAST_CALLS_PER_PHONE,
    THIRD_PARTY_COMMUNICATED,
)
from compliance.models import Consent, ContactRestriction

from .snapshot import (
    DebtorSnapshot,
    consent_info,
    contact_point_info,
    debt_status_for_engine,
    weekly_windows_for_engine,
)


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


def _ledger_q(ids: list[int], since: datetime, until: datetime | None) -> Q:
    """The attempts of the snapshot (`lookback.ledger_reduce`): every one from `since` (to
    `until`), the older facts a rule still reads, and the last calls to each of the debtor's
    phones before `since`."""
    window = Q(occurred_at__gte=since)
    if until is not None:
        window &= Q(occurred_at__lte=until)
    older = Q(occurred_at__lt=since) & (
        Q(direction="inbound", channel="email")
        | Q(
            direction="inbound",
            channel="sms",
            occurred_at__gte=since - timedelta(days=INBOUND_TEXT_DAYS),
        )
        | (Q(outcome__in=THIRD_PARTY_COMMUNICATED) & ~Q(person__in=("", DEBTOR)))
    )
    last_calls = list(
        ContactAttempt.objects.filter(
            contact_point__debtor_id__in=ids,
            contact_point__owner=DEBTOR,
            contact_point__kind__in=PHONE_KINDS,
            occurred_at__lt=since,
            direction="outbound",
            channel__in=CALL_CHANNELS,
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("contact_point_id"),
                order_by=[F("occurred_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=LAST_CALLS_PER_PHONE)
        .values_list("pk", flat=True)
    )
    return Q(debtor_id__in=ids) & (window | older | Q(pk__in=last_calls))


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

    attempts = ContactAttempt.objects.filter(_ledger_q(ids, since, until)).order_by(
        "occurred_at", "id"
    )
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
        through_filter = {"contactattempt__in": attempts.values("pk")}
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
