"""The tamper-evident chain over decisions and attempts.

The outreach path only inserts rows; a beat job (`audit.tasks.chain_seal`) appends one
`ChainLink` per row afterwards, each hashing the row's canonical JSON together with the hash of
the link before it. A row changed, deleted or re-ordered outside the app no longer matches its
link, and `manage.py audit_verify` says which. Sealing after the fact keeps the gate fast: the
outreach transaction never waits on the chain.

An attempt is sealed in two links: its facts (who, when, which channel, which debts, which
decision) as soon as it settles, and its outcome once, when its status becomes "completed"
(the outcome is the one thing the app writes after the insert).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from audit.models import ChainHead, ChainKind, ChainLink
from collections_app.models import ContactAttempt
from compliance.models import ComplianceDecision

GENESIS = "0" * 64
# Rows are sealed once they are this old, so a transaction that took an id earlier but
# committed later is not skipped (the chain follows id order within each batch).
SETTLE = timedelta(seconds=60)
# A row this old and still unsealed means the sealing job stopped or the row was inserted
# behind its back with an old timestamp.
UNSEALED_ALARM = timedelta(days=1)
# The every-minute job looks for new rows this far below the last sealed id (a transaction
# that stayed open while this many later rows were sealed is caught by the full pass), and
# for outcomes written this recently.
ID_WINDOW = 10_000
RECENT_OUTCOMES = timedelta(days=2)

DECISION_FIELDS = (
    "id",
    "created_at",
    "evaluated_at",
    "actor_id",
    "actor_label",
    "debtor_id",
    "contact_point_id",
    "channel",
    "purpose",
    "allowed",
    "reasons",
    "warnings",
    "next_allowed_at",
    "inputs",
    "engine_version",
)
ATTEMPT_FIELDS = (
    "id",
    "case_id",
    "debtor_id",
    "contact_point_id",
    "person",
    "channel",
    "direction",
    "occurred_at",
    "actor_id",
    "source",
    "decision_id",
    "flagged",
    "flag_reasons",
    "corrects_id",
    "external_reference",
    "created_at",
)
OUTCOME_FIELDS = ("id", "status", "outcome", "outcome_recorded_at", "notes")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def canonical_json(row: dict[str, Any]) -> str:
    """Sorted keys, no whitespace, UTC datetimes: the same row always gives the same text."""
    return json.dumps(
        {k: _plain(v) for k, v in row.items()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )


def link_hash(*, prev_hash: str, kind: str, object_id: int, content: str) -> str:
    payload = f"{prev_hash}|{kind}|{object_id}|{content}".encode()
    return hashlib.sha256(payload).hexdigest()


def _m2m_ids(through: type[models.Model], ids: Iterable[int], debt_field: str) -> dict[int, list]:
    result: dict[int, list[int]] = {}
    rows = through.objects.filter(contactattempt_id__in=list(ids)).values_list(
        "contactattempt_id", debt_field
    )
    for attempt_id, debt_id in rows:
        result.setdefault(attempt_id, []).append(debt_id)
    return {k: sorted(v) for k, v in result.items()}


def contents_for(kind: str, ids: list[int]) -> dict[int, str]:
    """Canonical JSON of each row that still exists, by id (missing rows are absent)."""
    if kind == ChainKind.DECISION:
        rows = ComplianceDecision.objects.filter(id__in=ids).values(*DECISION_FIELDS)
        return {r["id"]: canonical_json(r) for r in rows}
    if kind == ChainKind.ATTEMPT:
        rows = list(ContactAttempt.objects.filter(id__in=ids).values(*ATTEMPT_FIELDS))
        debts = _m2m_ids(ContactAttempt.debts.through, ids, "debt_id")
        return {r["id"]: canonical_json({**r, "debt_ids": debts.get(r["id"], [])}) for r in rows}
    rows = list(ContactAttempt.objects.filter(id__in=ids).values(*OUTCOME_FIELDS))
    discussed = _m2m_ids(ContactAttempt.debts_discussed.through, ids, "debt_id")
    return {
        r["id"]: canonical_json({**r, "debts_discussed": discussed.get(r["id"], [])}) for r in rows
    }


def _unsealed_ids(kind: str, *, before: datetime, limit: int, full: bool = True) -> list[int]:
    """Ids of rows of `kind` settled by `before` with no link yet, in id order.

    `full=False` is the every-minute path: it only looks where new work can be (ids near the
    last sealed one; outcomes written in the last two days, found through the attempt history
    table's indexed date), so its cost does not grow with the size of the ledger. The full
    anti-join runs in `audit_verify` and `chain_seal(full=True)`."""
    sealed = ChainLink.objects.filter(kind=kind, object_id=models.OuterRef("pk"))
    if kind == ChainKind.DECISION:
        qs: models.QuerySet = ComplianceDecision.objects.filter(created_at__lte=before)
    elif kind == ChainKind.ATTEMPT:
        qs = ContactAttempt.objects.filter(created_at__lte=before)
    else:
        qs = ContactAttempt.objects.filter(status="completed").filter(
            models.Q(outcome_recorded_at__lte=before) | models.Q(outcome_recorded_at__isnull=True)
        )
        qs = qs.filter(
            models.Exists(
                ChainLink.objects.filter(kind=ChainKind.ATTEMPT, object_id=models.OuterRef("pk"))
            )
        )
    if not full:
        if kind == ChainKind.OUTCOME:
            recent = ContactAttempt.history.filter(
                history_date__gte=before - RECENT_OUTCOMES, status="completed"
            ).values("id")
            qs = qs.filter(pk__in=recent)
        else:
            last = (
                ChainLink.objects.filter(kind=kind)
                .order_by("-object_id")
                .values_list("object_id", flat=True)
                .first()
            )
            if last is not None:
                qs = qs.filter(pk__gt=last - ID_WINDOW)
    return list(
        qs.filter(~models.Exists(sealed)).order_by("pk").values_list("pk", flat=True)[:limit]
    )


def chain_seal(
    *,
    batch_size: int = 1000,
    max_batches: int = 50,
    now: datetime | None = None,
    full: bool = False,
) -> int:
    """Append links for every settled, unsealed row; returns how many were sealed."""
    ChainHead.objects.get_or_create(pk=1)
    before = (now or timezone.now()) - SETTLE
    total = 0
    for _ in range(max_batches):
        sealed = _seal_batch(before=before, batch_size=batch_size, full=full)
        total += sealed
        if sealed == 0:
            break
    return total


def _seal_batch(*, before: datetime, batch_size: int, full: bool) -> int:
    with transaction.atomic():
        # The head row lock makes sealing single-writer: two beat runs overlapping (a slow
        # batch, a second beat by mistake) queue here instead of forking the chain.
        head = ChainHead.objects.select_for_update().get(pk=1)
        links: list[ChainLink] = []
        sealed_at = timezone.now()
        # Attempts are sealed before their outcome link: an outcome link needs its attempt's.
        for kind in (ChainKind.DECISION, ChainKind.ATTEMPT, ChainKind.OUTCOME):
            ids = _unsealed_ids(kind, before=before, limit=batch_size, full=full)
            contents = contents_for(kind, ids)
            for object_id in ids:
                row_hash = link_hash(
                    prev_hash=head.row_hash,
                    kind=kind,
                    object_id=object_id,
                    content=contents[object_id],
                )
                head.seq += 1
                links.append(
                    ChainLink(
                        kind=kind,
                        object_id=object_id,
                        seq=head.seq,
                        prev_hash=head.row_hash,
                        row_hash=row_hash,
                        sealed_at=sealed_at,
                    )
                )
                head.row_hash = row_hash
        if links:
            ChainLink.objects.bulk_create(links)
            head.save(update_fields=["seq", "row_hash"])
        return len(links)


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    kind: str
    object_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"link {self.seq}" if self.seq is not None else "chain"
        what = f"{self.kind} {self.object_id}" if self.object_id is not None else self.kind
        return f"{where}: {what}: {self.problem}"


def _chunks(links: Iterator[ChainLink], size: int) -> Iterator[list[ChainLink]]:
    chunk: list[ChainLink] = []
    for link in links:
        chunk.append(link)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chain_verify(*, chunk_size: int = 2000, now: datetime | None = None) -> Iterator[ChainProblem]:
    """Recompute every link from the rows as they are now; yield each mismatch.

    Streams the chain in `seq` order, so memory stays flat however long the chain is."""
    expected_seq = 1
    prev_hash = GENESIS
    links = ChainLink.objects.order_by("seq").iterator(chunk_size=chunk_size)
    for chunk in _chunks(links, chunk_size):
        by_kind: dict[str, list[int]] = {}
        for link in chunk:
            by_kind.setdefault(link.kind, []).append(link.object_id)
        contents = {kind: contents_for(kind, ids) for kind, ids in by_kind.items()}
        for link in chunk:
            if link.seq != expected_seq:
                yield ChainProblem(link.seq, link.kind, link.object_id, "sequence gap")
            if link.prev_hash != prev_hash:
                yield ChainProblem(
                    link.seq, link.kind, link.object_id, "out of order: previous hash differs"
                )
            content = contents[link.kind].get(link.object_id)
            if content is None:
                yield ChainProblem(link.seq, link.kind, link.object_id, "row deleted")
            elif (
                link_hash(
                    prev_hash=link.prev_hash,
                    kind=link.kind,
                    object_id=link.object_id,
                    content=content,
                )
                != link.row_hash
            ):
                yield ChainProblem(link.seq, link.kind, link.object_id, "row content changed")
            expected_seq = link.seq + 1
            prev_hash = link.row_hash
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.row_hash != prev_hash):
        yield ChainProblem(None, "head", None, "chain head does not match the last link")
    alarm = (now or timezone.now()) - UNSEALED_ALARM
    for kind in (ChainKind.DECISION, ChainKind.ATTEMPT, ChainKind.OUTCOME):
        for object_id in _unsealed_ids(kind, before=alarm, limit=100):
            yield ChainProblem(None, kind, object_id, "older than a day and never sealed")
