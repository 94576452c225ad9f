"""Reads for the audit workspace: the contact history (attempts and blocked tries), one
decision in plain words, a debtor's file as it stood on a past date, evidence and holds.

Every read starts from `visible_to(user)`: auditors and admins see everything, managers their
team's debtors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Value
from django.shortcuts import get_object_or_404
from django.utils import timezone

from audit.models import ChainHead, ChainLink, Evidence, LegalHold, PurgeLog
from collections_app.models import (
    Case,
    CaseAssignment,
    CaseStatusChange,
    ContactAttempt,
    ContactPoint,
    Debtor,
)
from compliance.models import ComplianceDecision, Consent, ContactRestriction

if TYPE_CHECKING:
    from accounts.models import User

# Blocked tries shown in the history: what a collector, a reminder or an API client tried.
# Campaign eligibility runs evaluate thousands of cases in bulk and are not tries.
BLOCKED_PURPOSES = ("live", "reminder", "check", "import")


class Show(models.TextChoices):
    ALL = "all"
    ATTEMPTS = "attempts"
    FLAGGED = "flagged"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class HistoryFilters:
    debtor_id: int | None = None
    debtor_name: str = ""
    collector_id: int | None = None
    team_id: int | None = None
    channel: str = ""
    outcome: str = ""
    source: str = ""
    show: str = Show.ALL
    date_from: date | None = None
    date_to: date | None = None
    case_id: int | None = None


# The columns of one history row, attempts and blocked decisions alike (the union needs the
# same names in the same order on both sides; none may clash with a model field).
COLUMNS = (
    "row_kind",
    "row_id",
    "at",
    "debtor_ref",
    "debtor_name",
    "case_ref",
    "team_name",
    "contact_value",
    "chan",
    "dir",
    "result",
    "origin",
    "actor_name",
    "is_flagged",
    "decision_ref",
    "why",
)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _common_filters(qs: models.QuerySet, f: HistoryFilters, at_field: str) -> models.QuerySet:
    if f.debtor_id is not None:
        qs = qs.filter(debtor_id=f.debtor_id)
    if f.debtor_name:
        qs = qs.filter(debtor__full_name__icontains=f.debtor_name)
    if f.collector_id is not None:
        qs = qs.filter(actor_id=f.collector_id)
    if f.team_id is not None:
        team_cases = Case.objects.filter(debtor_id=OuterRef("debtor_id"), team_id=f.team_id)
        qs = qs.filter(Exists(team_cases))
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.date_from:
        qs = qs.filter(**{f"{at_field}__gte": _day_start(f.date_from)})
    if f.date_to:
        qs = qs.filter(**{f"{at_field}__lt": _day_start(f.date_to + timedelta(days=1))})
    return qs


def _attempt_rows(user: User, f: HistoryFilters) -> models.QuerySet:
    qs = _common_filters(ContactAttempt.objects.visible_to(user), f, "occurred_at")
    if f.outcome:
        qs = qs.filter(outcome=f.outcome)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.case_id is not None:
        qs = qs.filter(case_id=f.case_id)
    if f.show == Show.FLAGGED:
        qs = qs.filter(flagged=True)
    return qs.order_by().values(
        row_kind=Value("attempt"),
        row_id=F("id"),
        at=F("occurred_at"),
        debtor_ref=F("debtor_id"),
        debtor_name=F("debtor__full_name"),
        case_ref=F("case_id"),
        team_name=F("case__team__name"),
        contact_value=F("contact_point__value"),
        chan=F("channel"),
        dir=F("direction"),
        result=F("outcome"),
        origin=F("source"),
        actor_name=F("actor__username"),
        is_flagged=F("flagged"),
        decision_ref=F("decision_id"),
        why=F("flag_reasons"),
    )


def _blocked_rows(user: User, f: HistoryFilters) -> models.QuerySet:
    qs = ComplianceDecision.objects.visible_to(user).filter(
        allowed=False, purpose__in=BLOCKED_PURPOSES
    )
    qs = qs.filter(~Exists(ContactAttempt.objects.filter(decision_id=OuterRef("pk"))))
    qs = _common_filters(qs, f, "evaluated_at")
    if f.source:
        qs = qs.filter(purpose=f.source)
    if f.case_id is not None:
        qs = qs.filter(debtor__cases__id=f.case_id)
    return qs.order_by().values(
        row_kind=Value("blocked"),
        row_id=F("id"),
        at=F("evaluated_at"),
        debtor_ref=F("debtor_id"),
        debtor_name=F("debtor__full_name"),
        case_ref=Value(None, output_field=models.BigIntegerField()),
        team_name=F("actor__team__name"),
        contact_value=F("contact_point__value"),
        chan=F("channel"),
        dir=Value("outbound"),
        result=Value(""),
        origin=F("purpose"),
        actor_name=F("actor__username"),
        is_flagged=Value(True),
        decision_ref=F("id"),
        why=F("reasons"),
    )


def history_search(*, user: User, filters: HistoryFilters) -> models.QuerySet:
    """One time-ordered list of contact attempts and blocked tries (newest first).

    A blocked try is a decision that refused the outreach, so no attempt points at it. An
    outcome filter only makes sense for attempts, so it leaves the blocked tries out."""
    parts: list[models.QuerySet] = []
    if filters.show in (Show.ALL, Show.ATTEMPTS, Show.FLAGGED):
        parts.append(_attempt_rows(user, filters))
    if filters.show in (Show.ALL, Show.BLOCKED) and not filters.outcome:
        parts.append(_blocked_rows(user, filters))
    if not parts:
        # Nothing can match (blocked tries have no outcome); the attempt columns, no rows.
        parts.append(_attempt_rows(user, filters).none())
    qs = parts[0] if len(parts) == 1 else parts[0].union(parts[1], all=True)
    return qs.order_by("-at", "-row_id")


def decision_for_user(*, user: User, decision_id: int) -> ComplianceDecision:
    qs = ComplianceDecision.objects.visible_to(user).select_related(
        "debtor", "contact_point", "actor"
    )
    return get_object_or_404(qs, pk=decision_id)


def decision_attempts(*, decision: ComplianceDecision) -> list[ContactAttempt]:
    return list(decision.attempts.select_related("case", "actor", "contact_point"))


def decision_related(*, decision: ComplianceDecision, inputs: dict[str, Any]) -> dict[str, Any]:
    """The restrictions and consents the decision saw, as rows, by id (the inputs only keep
    ids and kinds; the rows say when they started and ended and who recorded them)."""
    restriction_ids = [r.get("id") for r in inputs.get("restrictions", []) if r.get("id")]
    consent_ids = [c.get("id") for c in inputs.get("consents", []) if c.get("id")]
    return {
        "restrictions": ContactRestriction.objects.filter(
            debtor_id=decision.debtor_id, id__in=restriction_ids
        ).in_bulk(),
        "consents": Consent.objects.filter(
            debtor_id=decision.debtor_id, id__in=consent_ids
        ).in_bulk(),
    }


def debtor_for_user(*, user: User, debtor_id: int) -> Debtor:
    return get_object_or_404(Debtor.objects.visible_to(user), pk=debtor_id)


@dataclass
class DebtorSnapshot:
    at: datetime
    debtor: Any | None
    contact_points: list[Any] = field(default_factory=list)
    restrictions: list[Any] = field(default_factory=list)
    consents: list[Any] = field(default_factory=list)
    cases: list[Any] = field(default_factory=list)
    assignments: list[CaseAssignment] = field(default_factory=list)
    status_changes: list[CaseStatusChange] = field(default_factory=list)
    changes_after: int = 0


def _as_of(manager: Any, at: datetime, debtor_id: int) -> list[Any]:
    return sorted(manager.as_of(at).filter(debtor_id=debtor_id), key=lambda o: o.pk)


def debtor_as_of(*, debtor: Debtor, at: datetime) -> DebtorSnapshot:
    """The debtor's file as the records stood at `at`, rebuilt from django-simple-history.

    Restrictions and consents are those recorded by then, whatever dates they carry: the file
    shows what the organisation knew at that instant, which is what an auditor asks."""
    past = Debtor.history.as_of(at).filter(id=debtor.pk).first()
    snapshot = DebtorSnapshot(at=at, debtor=past)
    if past is None:
        return snapshot
    snapshot.contact_points = _as_of(ContactPoint.history, at, debtor.pk)
    snapshot.restrictions = _as_of(ContactRestriction.history, at, debtor.pk)
    snapshot.consents = _as_of(Consent.history, at, debtor.pk)
    snapshot.cases = _as_of(Case.history, at, debtor.pk)
    case_ids = [c.pk for c in snapshot.cases]
    snapshot.assignments = list(
        CaseAssignment.objects.filter(case_id__in=case_ids, at__lte=at)
        .select_related("from_user", "to_user", "actor")
        .order_by("at", "id")
    )
    snapshot.status_changes = list(
        CaseStatusChange.objects.filter(case_id__in=case_ids, at__lte=at)
        .select_related("actor")
        .order_by("at", "id")
    )
    snapshot.changes_after = Debtor.history.filter(id=debtor.pk, history_date__gt=at).count()
    return snapshot


def evidence_for_user(*, user: User) -> models.QuerySet:
    return Evidence.objects.visible_to(user).select_related("case", "attempt", "uploaded_by")


def case_for_user(*, user: User, case_id: int) -> Case:
    return get_object_or_404(Case.objects.visible_to(user).select_related("debtor"), pk=case_id)


def holds_active_for_case(*, case: Case) -> models.QuerySet:
    return (
        LegalHold.objects.active()
        .filter(debtor_id=case.debtor_id)
        .filter(models.Q(case__isnull=True) | models.Q(case_id=case.pk))
    )


@dataclass
class ChainStatus:
    links: int
    last_sealed_at: datetime | None
    unsealed_decisions: int
    unsealed_attempts: int


def chain_status() -> ChainStatus:
    """How far the sealing job has got (verification itself is `manage.py audit_verify`)."""
    head = ChainHead.objects.filter(pk=1).first()
    last = ChainLink.objects.order_by("-seq").values_list("sealed_at", flat=True).first()
    sealed = ChainLink.objects.filter(object_id=OuterRef("pk"))
    return ChainStatus(
        links=head.seq if head else 0,
        last_sealed_at=last,
        unsealed_decisions=ComplianceDecision.objects.filter(
            ~Exists(sealed.filter(kind="decision"))
        ).count(),
        unsealed_attempts=ContactAttempt.objects.filter(
            ~Exists(sealed.filter(kind="attempt"))
        ).count(),
    )


def purge_log_recent(*, limit: int = 100) -> list[Any]:
    return list(PurgeLog.objects.order_by("-purged_at", "-id")[:limit])


def legal_holds_for_user(*, user: User) -> models.QuerySet:
    return (
        LegalHold.objects.visible_to(user)
        .active()
        .select_related("debtor", "case", "placed_by")
        .order_by("-placed_at")
    )
