"""Retention: how long each kind of record is kept, per jurisdiction, and the purge.

What is purged: evidence files (recordings, letters, documents) and their Evidence rows, once
their period has run out and no legal hold covers them. Each purge leaves a PurgeLog row (what,
whose, which rule, the file's hash) so the deletion itself is on record.

What is never purged by this job: the contact ledger (ContactAttempt) and the compliance
decisions. They are the proof that every outreach passed the gate, they are sealed in the
hash chain (deleting one would be indistinguishable from tampering), and the counting rules
read them. A ledger row's personal content is minimal (ids, times, channel, outcome); removing
a debtor's personal data altogether is a separate erasure process, not a retention job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Evidence, EvidenceKind, LegalHold, PurgeLog
from collections_app.models import Case, ContactAttempt, Payment
from collections_app.models.case import OPEN_CASE_STATUSES

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger("audit.retention")


@dataclass(frozen=True)
class RetentionRule:
    jurisdiction: str
    kind: str
    years: int
    # "call": counted from the call the recording is of; "last_activity": from the last
    # collection activity on the case's debts (open cases have not started counting).
    anchor: str
    citation: str

    @property
    def kind_label(self) -> str:
        return str(dict(EvidenceKind.choices).get(self.kind, self.kind))


RULES: dict[tuple[str, str], RetentionRule] = {
    ("US", EvidenceKind.RECORDING): RetentionRule(
        "US", EvidenceKind.RECORDING, 3, "call", "12 CFR 1006.100(b): 3 years after the call"
    ),
    ("US", EvidenceKind.LETTER): RetentionRule(
        "US",
        EvidenceKind.LETTER,
        3,
        "last_activity",
        "12 CFR 1006.100(a): 3 years after the last collection activity on the debt",
    ),
    ("US", EvidenceKind.DOCUMENT): RetentionRule(
        "US",
        EvidenceKind.DOCUMENT,
        3,
        "last_activity",
        "12 CFR 1006.100(a): 3 years after the last collection activity on the debt",
    ),
    ("CN", EvidenceKind.RECORDING): RetentionRule(
        "CN",
        EvidenceKind.RECORDING,
        2,
        "call",
        "Credit card business regulation art. 68: recordings kept at least 2 years",
    ),
    ("CN", EvidenceKind.LETTER): RetentionRule(
        "CN", EvidenceKind.LETTER, 2, "last_activity", "House rule: 2 years after last activity"
    ),
    ("CN", EvidenceKind.DOCUMENT): RetentionRule(
        "CN", EvidenceKind.DOCUMENT, 2, "last_activity", "House rule: 2 years after last activity"
    ),
}
# Elsewhere (e.g. GB): the longest limitation period we work under, 6 years.
DEFAULT_YEARS = 6


def retention_rule(*, jurisdiction: str, kind: str) -> RetentionRule:
    rule = RULES.get((jurisdiction, kind))
    if rule is None:
        return RetentionRule(
            jurisdiction,
            kind,
            DEFAULT_YEARS,
            "last_activity",
            "House rule: 6 years after last activity",
        )
    return rule


def _add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def case_last_activity(*, case: Case) -> datetime | None:
    """The last collection activity on the case's debts; None while the case is open (the
    activity is still going on, so the period has not started)."""
    if case.status in OPEN_CASE_STATUSES:
        return None
    debt_ids = list(case.debts.values_list("id", flat=True))
    candidates = [
        case.closed_at,
        case.status_changed_at,
        ContactAttempt.objects.filter(debtor_id=case.debtor_id)
        .filter(models.Q(debts__in=debt_ids) | models.Q(case_id=case.pk))
        .aggregate(m=Max("occurred_at"))["m"],
        Payment.objects.filter(debt_id__in=debt_ids).aggregate(m=Max("received_at"))["m"],
    ]
    known = [c for c in candidates if c is not None]
    return max(known) if known else case.opened_at


def evidence_expires_at(*, evidence: Evidence) -> tuple[datetime | None, RetentionRule]:
    """When the evidence may be deleted, and under which rule (None: not yet known)."""
    case = evidence.case
    rule = retention_rule(jurisdiction=case.debtor.country, kind=evidence.kind)
    if rule.anchor == "call":
        start: datetime | None = (
            evidence.attempt.occurred_at if evidence.attempt else evidence.uploaded_at
        )
    else:
        start = case_last_activity(case=case)
    if start is None:
        return None, rule
    return _add_years(start, rule.years), rule


def _held(evidence: Evidence) -> bool:
    return (
        LegalHold.objects.active()
        .filter(debtor_id=evidence.case.debtor_id)
        .filter(models.Q(case__isnull=True) | models.Q(case_id=evidence.case_id))
        .exists()
    )


def _candidates(now: datetime, chunk_size: int) -> Iterator[int]:
    # Nothing younger than the shortest period can have expired.
    shortest = min(r.years for r in RULES.values())
    horizon = _add_years(now, -shortest)
    return (
        Evidence.objects.filter(uploaded_at__lte=horizon)
        .filter(models.Q(attempt__isnull=True) | models.Q(attempt__occurred_at__lte=horizon))
        .order_by("id")
        .values_list("id", flat=True)
        .iterator(chunk_size=chunk_size)
    )


@dataclass
class PurgeReport:
    purged: int = 0
    held: int = 0
    kept: int = 0


def retention_purge(*, now: datetime | None = None, chunk_size: int = 500) -> PurgeReport:
    """Delete expired, unheld evidence; log each deletion. Safe to run twice or in parallel:
    each row is locked (skip_locked) and re-checked before it goes."""
    now = now or timezone.now()
    report = PurgeReport()
    for evidence_id in list(_candidates(now, chunk_size)):
        with transaction.atomic():
            evidence = (
                Evidence.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case__debtor", "attempt")
                .filter(pk=evidence_id)
                .first()
            )
            if evidence is None:
                continue
            expires_at, rule = evidence_expires_at(evidence=evidence)
            if expires_at is None or expires_at > now:
                report.kept += 1
                continue
            if _held(evidence):
                report.held += 1
                continue
            PurgeLog.objects.create(
                purged_at=now,
                record_kind=f"evidence:{evidence.kind}",
                object_id=evidence.pk,
                case_id_ref=evidence.case_id,
                debtor_id_ref=evidence.case.debtor_id,
                jurisdiction=rule.jurisdiction,
                rule=rule.citation,
                expired_at=expires_at,
                sha256=evidence.sha256,
                original_name=evidence.original_name,
            )
            name, storage = evidence.file.name, evidence.file.storage
            evidence.delete()
            # The file goes only once the row's deletion is committed: a rollback leaves both.
            transaction.on_commit(lambda n=name, s=storage: s.delete(n))
            report.purged += 1
    logger.info(
        "retention purge: %s purged, %s held, %s kept", report.purged, report.held, report.kept
    )
    return report


def legal_hold_place(
    *, debtor_id: int, actor: User, reason: str, case_id: int | None = None, reference: str = ""
) -> LegalHold:
    if not actor.is_admin_role:
        raise PermissionDenied(_("Only administrators place legal holds."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the records are held.")})
    if case_id is not None and not Case.objects.filter(pk=case_id, debtor_id=debtor_id).exists():
        raise ValidationError({"case": _("This case is not the debtor's.")})
    return LegalHold.objects.create(
        debtor_id=debtor_id, case_id=case_id, reason=reason, reference=reference, placed_by=actor
    )


def legal_hold_release(*, hold_id: int, actor: User) -> LegalHold:
    if not actor.is_admin_role:
        raise PermissionDenied(_("Only administrators release legal holds."))
    # Compare-and-swap: releasing twice records the first release only.
    LegalHold.objects.filter(pk=hold_id, released_at__isnull=True).update(
        released_at=timezone.now(), released_by=actor
    )
    return LegalHold.objects.get(pk=hold_id)
