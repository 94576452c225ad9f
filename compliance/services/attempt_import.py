"""Historical attempts (dialer or agency sync, migration from an old system) as facts.

Each is judged against the ledger before it and stored even when it broke a rule, flagged with
the reasons (DESIGN section 2: never silently dropped).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import ContactAttempt, ContactPoint, Debt, Debtor
from collections_app.models.attempt import AttemptStatus, Channel, Outcome, Source
from compliance.engine import LedgerEntry, evaluate
from compliance.models import Purpose
from compliance.services.context import (
    LEDGER_DAYS,
    DebtorSnapshot,
    context_build,
    snapshots_load,
)
from compliance.services.house import house_policy_cached
from compliance.services.ledger import (
    contact_point_mark_wrong,
    decision_store,
    default_case,
    require_writer,
)

IMPORT_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ImportResult:
    created: int
    flagged: list[dict[str, Any]]
    # Rows whose external reference was imported before: a re-delivered batch changes nothing.
    skipped: list[int] = dataclasses.field(default_factory=list)


class ImportRowsInvalid(ValidationError):
    """Rows of an import that cannot be stored; `rows` maps each row index to its errors."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]) -> None:
        self.rows = rows
        super().__init__(
            _("Rows %(rows)s are invalid; nothing was imported.") % {"rows": sorted(rows)}
        )


def _parse_import_row(
    index: int, row: dict[str, Any], cps: dict[int, ContactPoint], now: datetime
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    cp_ref = row.get("contact_point")
    cp_id = cp_ref.pk if isinstance(cp_ref, ContactPoint) else cp_ref
    cp = cps.get(cp_id) if isinstance(cp_id, int) else None
    if cp is None:
        errors["contact_point"] = [_("Unknown contact point.")]
    channel = row.get("channel")
    if channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    direction = row.get("direction") or "outbound"
    if direction not in ("outbound", "inbound"):
        errors["direction"] = [_("Direction must be outbound or inbound.")]
    outcome = row.get("outcome") or ""
    if outcome not in Outcome.values:
        errors["outcome"] = [_("An imported attempt needs a known outcome.")]
    occurred_at = row.get("occurred_at")
    if isinstance(occurred_at, str):
        try:
            occurred_at = datetime.fromisoformat(occurred_at)
        except ValueError:
            occurred_at = None
    if not isinstance(occurred_at, datetime) or timezone.is_naive(occurred_at):
        errors["occurred_at"] = [_("A time with its UTC offset is required.")]
    elif occurred_at > now + IMPORT_CLOCK_SKEW:
        errors["occurred_at"] = [_("A historical attempt cannot be in the future.")]
    debt_refs = row.get("debts")
    debt_ids: frozenset[int] | None = None
    if debt_refs is not None:
        debt_ids = frozenset(d.pk if isinstance(d, Debt) else d for d in debt_refs)
    if errors:
        return None, errors
    return {
        "cp": cp,
        "channel": channel,
        "direction": direction,
        "outcome": outcome,
        "occurred_at": occurred_at,
        "debt_ids": debt_ids,
        "notes": str(row.get("notes") or ""),
        "external_reference": str(row.get("external_reference") or "")[:100],
    }, {}


def attempts_import(*, rows: Sequence[dict[str, Any]], actor: User | None) -> ImportResult:
    """Store historical attempts (dialer or agency sync, migration) as facts.

    Rows are taken in time order; each outbound row is judged against the ledger before it
    (the database's and the earlier rows of the batch), its decision stored with purpose
    "import", and the attempt stored even when it broke a rule, flagged with the reasons.
    Inbound rows are not outreach: stored without a decision, never flagged. The batch is
    atomic: any invalid row raises `ImportRowsInvalid` and nothing is saved.
    """
    require_writer(actor)
    now = timezone.now()
    cp_ids = set()
    for row in rows:
        ref = row.get("contact_point")
        cp_ids.add(ref.pk if isinstance(ref, ContactPoint) else ref)
    cps = {
        cp.pk: cp
        for cp in ContactPoint.objects.filter(pk__in=[i for i in cp_ids if isinstance(i, int)])
    }
    parsed: list[tuple[int, dict[str, Any]]] = []
    errors: dict[int, dict[str, list[str]]] = {}
    for index, row in enumerate(rows):
        item, row_errors = _parse_import_row(index, row, cps, now)
        if row_errors:
            errors[index] = row_errors
        else:
            parsed.append((index, item))  # type: ignore[arg-type]
    seen_refs: dict[str, int] = {}
    for index, item in parsed:
        ref = item["external_reference"]
        if ref and ref in seen_refs:
            errors[index] = {
                "external_reference": [
                    _("Same reference as row %(row)s.") % {"row": seen_refs[ref]}
                ]
            }
        elif ref:
            seen_refs[ref] = index
    if errors:
        raise ImportRowsInvalid(errors)
    if not parsed:
        return ImportResult(created=0, flagged=[])
    parsed.sort(key=lambda pair: (pair[1]["occurred_at"], pair[0]))
    earliest = parsed[0][1]["occurred_at"]
    house = house_policy_cached()
    flagged: list[dict[str, Any]] = []
    with transaction.atomic():
        debtor_ids = sorted({item["cp"].debtor_id for _i, item in parsed})
        # Lock every debtor of the batch, in id order so two imports cannot deadlock.
        debtors = list(Debtor.objects.select_for_update().filter(pk__in=debtor_ids).order_by("pk"))
        snaps = snapshots_load(debtors=debtors, since=earliest - timedelta(days=LEDGER_DAYS))
        # Checked under the debtor locks, so two deliveries of one batch cannot both insert.
        known_refs = set(
            ContactAttempt.objects.filter(
                source=Source.IMPORT, external_reference__in=list(seen_refs)
            ).values_list("external_reference", flat=True)
        )
        skipped = sorted(i for i, item in parsed if item["external_reference"] in known_refs)
        parsed = [(i, item) for i, item in parsed if item["external_reference"] not in known_refs]
        for index, item in parsed:
            snap = snaps[item["cp"].debtor_id]
            debt_ids = item["debt_ids"]
            if debt_ids is None:
                debt_ids = snap.open_debt_ids
            foreign = sorted(debt_ids - set(snap.debts))
            if foreign:
                raise ImportRowsInvalid(
                    {
                        index: {
                            "debts": [_("Debts %(ids)s are not this debtor's.") % {"ids": foreign}]
                        }
                    }
                )
            flagged_row = _import_one(
                index=index, item=item, snap=snap, debt_ids=debt_ids, house=house, actor=actor
            )
            if flagged_row is not None:
                flagged.append(flagged_row)
    flagged.sort(key=lambda f: f["index"])
    return ImportResult(created=len(parsed), flagged=flagged, skipped=skipped)


def _import_one(
    *,
    index: int,
    item: dict[str, Any],
    snap: DebtorSnapshot,
    debt_ids: frozenset[int],
    house: Any,
    actor: User | None,
) -> dict[str, Any] | None:
    cp: ContactPoint = item["cp"]
    at: datetime = item["occurred_at"]
    cp_info = snap.contact_points[cp.pk]
    stored = None
    reasons: list[dict[str, str]] = []
    if item["direction"] == "outbound":
        ctx = context_build(
            snap=snap,
            contact_point_id=cp.pk,
            channel=item["channel"],
            debt_ids=debt_ids,
            at=at,
            house=house,
        )
        decision = evaluate(ctx)
        stored = decision_store(
            ctx=ctx,
            decision=decision,
            debtor_id=cp.debtor_id,
            actor=actor,
            actor_label="import",
            purpose=Purpose.IMPORT,
        )
        reasons = stored.reasons
    attempt = ContactAttempt.objects.create(
        case=default_case(debtor_id=cp.debtor_id, debt_ids=debt_ids),
        debtor_id=cp.debtor_id,
        contact_point=cp,
        person=cp_info.person,
        channel=item["channel"],
        direction=item["direction"],
        occurred_at=at,
        status=AttemptStatus.COMPLETED,
        outcome=item["outcome"],
        outcome_recorded_at=at,
        actor=actor,
        source=Source.IMPORT,
        decision=stored,
        flagged=bool(reasons),
        flag_reasons=reasons,
        notes=item["notes"],
        external_reference=item["external_reference"],
    )
    attempt.debts.set(sorted(debt_ids))
    entry = LedgerEntry(
        id=attempt.pk,
        occurred_at=at,
        channel=item["channel"],
        direction=item["direction"],
        outcome=item["outcome"],
        contact_point_id=cp.pk,
        person=cp_info.person,
        debt_ids=debt_ids,
        source=Source.IMPORT,
    )
    bisect.insort(snap.ledger, entry, key=lambda e: e.occurred_at)
    if item["outcome"] == Outcome.WRONG_NUMBER:
        contact_point_mark_wrong(contact_point_id=cp.pk, at=at)
        snap.contact_points[cp.pk] = dataclasses.replace(cp_info, wrong_number=True)
    if reasons:
        return {"index": index, "reasons": reasons}
    return None
