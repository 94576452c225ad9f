"""Batch eligibility answers, kept for as long as they hold.

A dialer asks the same campaign list many times a day, and the answer for a case changes only
when its debtor's facts change or when the clock crosses an instant where a rule may judge
differently (`compliance.engine.stability`). So each answer is stored with

- the interval it holds for (`computed_at`, `valid_until`),
- the debtor's facts version at the moment the facts were read (raised by database triggers
  on every write to a table the rules read, `compliance.db_triggers`),
- the house policy and the rules it was computed with (`house_key`, `engine_key`),

and a later request at an instant inside the interval, with the same version, policy and
rules, reads it instead of running the rules again. Anything else is computed now (and
stored). The refresher (`eligibility_refresh`, run by Celery beat every minute) recomputes
the stored answers that went stale, and computes ahead, from the same facts, the answer that
follows each one about to lapse (`then_*`): when a calling window opens, the campaign's
answers for it are already there.

An answer read from here is the answer the rules give at that instant: exactly what
`compliance.selectors.eligibility_by_channel` computes, which tests check. The live gate
(`outreach.outreach_reserve`) never reads stored answers; it always runs the rules on the
debtor's locked row.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import holidays
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from collections_app.models import Case
from collections_app.models.case import OPEN_CASE_STATUSES
from compliance.engine.context import HouseSettings as EngineHouseSettings
from compliance.engine.evaluate import ENGINE_VERSION
from compliance.models import DebtorFactsVersion, EligibilityAnswer
from compliance.selectors import EligibilityResult, eligibility_by_channel
from compliance.services.house import house_policy_cached

logger = logging.getLogger(__name__)

# Answers are stored only for requests about (about) now: a plan for next week would
# otherwise replace the answers a campaign is reading today.
STORE_NEAR_NOW = timedelta(minutes=5)
# The refresher recomputes answers that lapse within this lead, so a reader finds them fresh.
REFRESH_LEAD = timedelta(minutes=10)
# `asked_at` is written again at most this often (a read does not become a write each time).
ASKED_STEP = timedelta(hours=1)

THEN_FIELDS = (
    "then_until",
    "then_allowed",
    "then_codes",
    "then_next_allowed_at",
    "then_contact_point_id",
)

_ENGINE_SOURCES = ("engine", "services/context", "selectors.py")


@lru_cache(maxsize=1)
def engine_key() -> str:
    """A fingerprint of the rules: the engine's and the snapshot's source, the holiday
    calendars' version and `ENGINE_VERSION`. Any change to how an answer is computed (a pack
    edited without a version bump included) makes every stored answer stale."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"{ENGINE_VERSION}|{holidays.__version__}".encode())
    for name in _ENGINE_SOURCES:
        path = root / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            digest.update(str(f.relative_to(root)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:32]


def house_key(policy: EngineHouseSettings) -> str:
    return hashlib.sha256(repr(policy).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class AnswerStats:
    read: int = 0
    computed: int = 0
    stored: int = 0
    moved: int = 0  # answers computed ahead that became the answer


def _current_version() -> Coalesce:
    return Coalesce(
        Subquery(
            DebtorFactsVersion.objects.filter(debtor_id=OuterRef("debtor_id")).values("version")[:1]
        ),
        Value(0),
    )


def answers_stored(
    *,
    case_ids: Sequence[int],
    channels: Sequence[str],
    at: datetime,
    keys: tuple[str, str],
    now: datetime,
) -> dict[int, dict[str, EligibilityResult]]:
    """The stored answers that hold at `at`: inside their interval (or the one computed ahead
    after it), same facts version, same house policy and rules. Notes that they were asked
    for (`asked_at`, to the hour)."""
    rows = (
        EligibilityAnswer.objects.filter(
            Q(valid_until__gt=at) | Q(then_until__gt=at),
            case_id__in=case_ids,
            channel__in=channels,
            computed_at__lte=at,
            house_key=keys[0],
            engine_key=keys[1],
        )
        .alias(current=_current_version())
        .filter(facts_version=F("current"))
        .values_list(
            "case_id",
            "channel",
            "valid_until",
            "allowed",
            "codes",
            "next_allowed_at",
            "contact_point_id",
            "then_until",
            "then_allowed",
            "then_codes",
            "then_next_allowed_at",
            "then_contact_point_id",
            "asked_at",
            "pk",
        )
    )
    out: dict[int, dict[str, EligibilityResult]] = defaultdict(dict)
    asked: list[int] = []
    for row in rows:
        case_id, channel, until, *now_, then_until, t_allowed, t_codes, t_next, t_cp = row[:-2]
        if row[-2] < now - ASKED_STEP:
            asked.append(row[-1])
        # The answer until `valid_until`, else the one computed ahead after it.
        first = at < until
        allowed, codes, next_at, cp_id = now_ if first else (t_allowed, t_codes, t_next, t_cp)
        out[case_id][channel] = EligibilityResult(
            allowed=allowed,
            codes=codes,
            next_allowed_at=next_at,
            contact_point_id=cp_id,
            valid_until=until if first else then_until,
        )
    if asked:
        EligibilityAnswer.objects.filter(pk__in=asked).update(asked_at=now)
    return out


def answers_compute(
    *,
    case_ids: Sequence[int],
    channels: Sequence[str],
    at: datetime,
    store: bool,
    asked: datetime | None = None,
) -> tuple[dict[int, dict[str, EligibilityResult]], int]:
    """Run the rules for `case_ids` now; store what holds past `at` when `store` (`asked`: when
    someone asked; None for the refresher, which keeps a stored row's `asked_at`). The facts
    versions are read before the facts, so a write that lands in between makes the stored
    answer stale rather than wrong. Returns the answers and how many were stored."""
    found = list(
        Case.objects.filter(pk__in=case_ids)
        .annotate(version=_current_version())
        .values_list("pk", "debtor_id", "version")
    )
    debtors = {pk: debtor_id for pk, debtor_id, _v in found}
    versions = {pk: version for pk, _d, version in found}
    policy = house_policy_cached()  # the one applied and the one the answers are stored under
    computed = eligibility_by_channel(
        case_ids=case_ids, channels=channels, at=at, with_validity=True, house=policy
    )
    if not store:
        return computed, 0
    keys = (house_key(policy), engine_key())
    rows = [
        EligibilityAnswer(
            case_id=case_id,
            channel=channel,
            debtor_id=debtors[case_id],
            facts_version=versions[case_id],
            house_key=keys[0],
            engine_key=keys[1],
            computed_at=at,
            valid_until=r.valid_until,
            allowed=r.allowed,
            codes=r.codes,
            next_allowed_at=r.next_allowed_at,
            contact_point_id=r.contact_point_id,
            then_until=None,
            then_allowed=None,
            then_codes=None,
            then_next_allowed_at=None,
            then_contact_point_id=None,
            asked_at=asked or at,
        )
        for case_id, answers in computed.items()
        for channel, r in answers.items()
        if r.valid_until is not None and r.valid_until > at and case_id in versions
    ]
    rows.sort(key=lambda row: (row.case_id, row.channel))  # one lock order for every writer
    try:
        # Storing saves later work and is never worth failing the request for (a deadlock
        # with the refresher, a row of a case deleted meanwhile): the answers stand.
        with transaction.atomic():
            EligibilityAnswer.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["case", "channel"],
                update_fields=[
                    "debtor_id",
                    "facts_version",
                    "house_key",
                    "engine_key",
                    "computed_at",
                    "valid_until",
                    "allowed",
                    "codes",
                    "next_allowed_at",
                    "contact_point_id",
                    *THEN_FIELDS,
                    *(["asked_at"] if asked is not None else []),
                ],
            )
            # An answer that cannot be kept (a search that ran out of horizon) replaces none.
            lapsed = Q()
            for case_id, answers in computed.items():
                for channel, r in answers.items():
                    if r.valid_until is None or r.valid_until <= at:
                        lapsed |= Q(case_id=case_id, channel=channel)
            if lapsed:
                EligibilityAnswer.objects.filter(lapsed).delete()
    except DatabaseError:
        logger.warning("eligibility answers not stored", exc_info=True)
        return computed, 0
    return computed, len(rows)


def eligibility_answers(
    *,
    case_ids: Sequence[int],
    channels: Sequence[str],
    at: datetime,
    now: datetime | None = None,
) -> tuple[dict[int, dict[str, EligibilityResult]], AnswerStats]:
    """For each case and channel: may the debtor be contacted at `at`, and if not, when next
    (`compliance.selectors.eligibility_by_channel`), reading the stored answers that hold and
    computing (and, for a request about now, storing) the rest."""
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return {}, AnswerStats()
    now = now or timezone.now()
    keys = (house_key(house_policy_cached()), engine_key())
    results = answers_stored(case_ids=ids, channels=channels, at=at, keys=keys, now=now)
    read = sum(len(v) for v in results.values())
    missing = [c for c in ids if len(results.get(c, ())) < len(channels)]
    computed_n = stored = 0
    if missing:
        computed, stored = answers_compute(
            case_ids=missing,
            channels=channels,
            at=at,
            store=abs(at - now) <= STORE_NEAR_NOW,
            asked=now,
        )
        for case_id, answers in computed.items():
            results.setdefault(case_id, {}).update(answers)
            computed_n += len(answers)
    return dict(results), AnswerStats(read=read, computed=computed_n, stored=stored)


def eligibility_refresh(
    *, now: datetime | None = None, limit: int = 50_000, batch: int = 1_000
) -> AnswerStats:
    """One round of upkeep of the stored answers, at most `limit` computations:

    1. forget the answers of cases that are no longer worked, and those nobody asked for in
       `ELIGIBILITY_KEEP_DAYS` (a campaign that ended);
    2. move on the answers whose interval ended into the one computed ahead;
    3. recompute, for now, those that went stale (the facts, the house policy or the rules
       changed) or ended with nothing computed ahead;
    4. compute ahead the answer after each one that ends within `REFRESH_LEAD`, soonest first.
    """
    now = now or timezone.now()
    EligibilityAnswer.objects.exclude(case__status__in=OPEN_CASE_STATUSES).delete()
    keep = timedelta(days=settings.ELIGIBILITY_KEEP_DAYS)
    EligibilityAnswer.objects.filter(asked_at__lt=now - keep).delete()
    policy = house_policy_cached()
    keys = (house_key(policy), engine_key())
    fresh = Q(facts_version=F("current"), house_key=keys[0], engine_key=keys[1])
    current = EligibilityAnswer.objects.alias(current=_current_version())

    # 2. The answer computed ahead becomes the answer (every right-hand side is the row's
    # value before the update, on PostgreSQL and SQLite alike).
    moved = EligibilityAnswer.objects.filter(valid_until__lte=now, then_until__gt=now).update(
        computed_at=F("valid_until"),
        valid_until=F("then_until"),
        allowed=F("then_allowed"),
        codes=F("then_codes"),
        next_allowed_at=F("then_next_allowed_at"),
        contact_point_id=F("then_contact_point_id"),
        **dict.fromkeys(THEN_FIELDS),
    )

    # 3. Stale, or over with nothing after: the answer now.
    due = (
        current.filter(~fresh | Q(valid_until__lte=now))
        .order_by("valid_until")
        .values_list("case_id", "channel")[:limit]
    )
    by_channel: dict[str, list[int]] = defaultdict(list)
    for case_id, channel in due:
        by_channel[channel].append(case_id)
    computed = stored = 0
    for channel, ids in sorted(by_channel.items()):
        for i in range(0, len(ids), batch):
            answers, n = answers_compute(
                case_ids=ids[i : i + batch], channels=[channel], at=now, store=True
            )
            computed += len(answers)
            stored += n

    # 4. Ahead: the answer from the end of each interval that ends soon, from the same facts.
    ahead = (
        current.filter(
            fresh, then_until__isnull=True, valid_until__gt=now, valid_until__lte=now + REFRESH_LEAD
        )
        .order_by("valid_until")
        .values_list("pk", "case_id", "channel", "valid_until", "facts_version")[
            : max(0, limit - computed)
        ]
    )
    groups: dict[tuple[str, datetime], list[tuple[int, int, int]]] = defaultdict(list)
    for pk, case_id, channel, until, version in ahead:
        groups[(channel, until)].append((pk, case_id, version))
    for (channel, until), rows in sorted(groups.items(), key=lambda g: g[0][1]):
        for i in range(0, len(rows), batch):
            chunk = rows[i : i + batch]
            stored_n, computed_n = _compute_ahead(chunk, channel, until, policy)
            computed += computed_n
            stored += stored_n
    return AnswerStats(read=0, computed=computed, stored=stored, moved=moved)


def _compute_ahead(
    rows: list[tuple[int, int, int]], channel: str, at: datetime, house: EngineHouseSettings
) -> tuple[int, int]:
    """Compute the answers at `at` (the end of the rows' interval) and store them as the rows'
    `then_*`, only where the facts version is still the one the row was computed with: read
    before the facts, as in `answers_compute`, so both answers come from the same facts.
    Returns how many were stored and how many computed."""
    case_ids = [case_id for _pk, case_id, _v in rows]
    versions = dict(
        Case.objects.filter(pk__in=case_ids)
        .annotate(version=_current_version())
        .values_list("pk", "version")
    )
    wanted = sorted((c, pk, v) for pk, c, v in rows if versions.get(c) == v)  # lock order
    wanted = [(pk, c, v) for c, pk, v in wanted]
    if not wanted:
        return 0, 0
    computed = eligibility_by_channel(
        case_ids=[c for _pk, c, _v in wanted],
        channels=[channel],
        at=at,
        with_validity=True,
        house=house,
    )
    ahead = {
        pk: r
        for pk, case_id, _v in wanted
        if (r := computed[case_id][channel]).valid_until is not None and r.valid_until > at
    }  # the others cannot be kept: those rows lapse and are recomputed then
    expected = {pk: v for pk, _c, v in wanted}
    with transaction.atomic():
        # Locked in case order, and only rows still as they were when their version was read.
        rows_now = (
            EligibilityAnswer.objects.select_for_update()
            .filter(pk__in=list(ahead), valid_until=at, then_until__isnull=True)
            .order_by("case_id")
        )
        changed = []
        for row in rows_now:
            r = ahead[row.pk]
            if row.facts_version != expected[row.pk]:
                continue
            row.then_until = r.valid_until
            row.then_allowed = r.allowed
            row.then_codes = r.codes
            row.then_next_allowed_at = r.next_allowed_at
            row.then_contact_point_id = r.contact_point_id
            changed.append(row)
        EligibilityAnswer.objects.bulk_update(changed, list(THEN_FIELDS))
    stored = len(changed)
    return stored, len(wanted)
