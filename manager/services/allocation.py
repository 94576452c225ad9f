"""Assigning cases: automatic allocation by rules, bulk reassignment, rotation.

Every change goes through `collections_app.services.case_assignment.case_assign`, which locks
the case row and records a CaseAssignment. Allocation takes a lock on the team row first so two
allocation runs of one team (beat and a manager's click) never count the same free capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
from collections_app.models import Case, CaseStatus, ContactAttempt, Payment, PromiseToPay
from collections_app.models.case import OPEN_CASE_STATUSES
from collections_app.services.case_assignment import case_assign
from manager.models import AllocationRule, TeamPolicy

ALLOCATABLE_STATUSES = (CaseStatus.NEW, CaseStatus.ACTIVE)


@dataclass
class AllocationResult:
    assigned: dict[int, int] = field(default_factory=dict)  # case id -> collector id
    unassigned: dict[int, str] = field(default_factory=dict)  # case id -> why not


def team_policy(*, team: Team) -> TeamPolicy:
    policy, _created = TeamPolicy.objects.get_or_create(team=team)
    return policy


def _loads(collectors: Sequence[User]) -> dict[int, int]:
    counts = {
        r["assigned_to_id"]: r["n"]
        for r in Case.objects.filter(
            assigned_to_id__in=[c.pk for c in collectors], status__in=OPEN_CASE_STATUSES
        )
        .values("assigned_to_id")
        .annotate(n=Count("id"))
    }
    return {c.pk: counts.get(c.pk, 0) for c in collectors}


def _skills_match(collector: User, case: Case) -> bool:
    debtor = case.debtor
    if collector.regions and debtor.region not in collector.regions:
        return False
    return not (collector.languages and debtor.preferred_language not in collector.languages)


def _rule_collectors(rules: Iterable[AllocationRule], case: Case) -> set[int] | None:
    """Collectors the matching rules allow, or None when no rule speaks about this case."""
    debts = list(case.debts.all())
    allowed: set[int] | None = None
    for rule in rules:
        bucket_ok = not rule.buckets or any(d.bucket in rule.buckets for d in debts)
        product_ok = not rule.products or any(d.product in rule.products for d in debts)
        if bucket_ok and product_ok:
            allowed = (allowed or set()) | {c.pk for c in rule.collectors.all()}
    return allowed


def _eligible(
    *,
    case: Case,
    collectors: Sequence[User],
    loads: dict[int, int],
    capacity: int,
    rules: Sequence[AllocationRule],
    exclude: int | None = None,
) -> tuple[User | None, str]:
    by_rule = _rule_collectors(rules, case)
    candidates = [c for c in collectors if c.pk != exclude]
    if by_rule is not None:
        candidates = [c for c in candidates if c.pk in by_rule]
        if not candidates:
            return None, _("No collector is named by the allocation rules for this case.")
    candidates = [c for c in candidates if _skills_match(c, case)]
    if not candidates:
        return None, _("No collector covers the debtor's region and language.")
    candidates = [c for c in candidates if loads[c.pk] < capacity]
    if not candidates:
        return None, _("Every matching collector is at capacity.")
    # Least loaded first; ties by id so the result is deterministic.
    return min(candidates, key=lambda c: (loads[c.pk], c.pk)), ""


def _team_collectors(team: Team) -> list[User]:
    return list(User.objects.filter(team=team, role=Role.COLLECTOR, is_active=True).order_by("id"))


@transaction.atomic
def cases_allocate(
    *, team_id: int, actor: User | None, case_ids: Sequence[int] | None = None
) -> AllocationResult:
    """Assign the team's unassigned new and active cases (or the given ones) to collectors:
    rules first, then region and language skills, never beyond Team.case_capacity, always to
    the least loaded eligible collector, so loads end within one case of each other. Once
    every collector is at capacity the run stops reading cases."""
    team = Team.objects.select_for_update().get(pk=team_id)
    collectors = _team_collectors(team)
    loads = _loads(collectors)
    rules = list(
        AllocationRule.objects.filter(team=team, active=True).prefetch_related("collectors")
    )
    cases = (
        Case.objects.filter(team=team, assigned_to__isnull=True, status__in=ALLOCATABLE_STATUSES)
        .select_related("debtor")
        .prefetch_related("debts")
        .order_by("-priority", "id")
    )
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    result = AllocationResult()
    capacity = team.case_capacity
    for case in cases.iterator(chunk_size=1000):
        if not any(loads[c.pk] < capacity for c in collectors):
            # Nothing more can be assigned: the rest are reported without being read (a team
            # holding many unassigned cases would otherwise be judged case by case each run).
            full = (
                _("Every collector of the team is at capacity.")
                if collectors
                else _("The team has no active collector.")
            )
            # This case and every later one in the order; those assigned have left the set.
            rest = cases.filter(
                Q(priority__lt=case.priority) | Q(priority=case.priority, pk__gte=case.pk)
            )
            result.unassigned.update(dict.fromkeys(rest.values_list("pk", flat=True), full))
            break
        chosen, why = _eligible(
            case=case,
            collectors=collectors,
            loads=loads,
            capacity=capacity,
            rules=rules,
        )
        if chosen is None:
            result.unassigned[case.pk] = why
            continue
        case_assign(case_id=case.pk, to_user=chosen, actor=actor, reason=_("Automatic allocation"))
        loads[chosen.pk] += 1
        result.assigned[case.pk] = chosen.pk
    return result


@transaction.atomic
def cases_reassign(
    *, case_ids: Sequence[int], to_user: User | None, actor: User, reason: str
) -> int:
    """Bulk reassignment by a manager. Every case must be within the manager's scope and the
    collector in the case's team; the collector's capacity is respected. All or nothing."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the cases are reassigned.")})
    ids = sorted(set(case_ids))
    if not ids:
        raise ValidationError({"cases": _("Select at least one case.")})
    cases = list(Case.objects.writable_by(actor).filter(pk__in=ids).select_related("team"))
    if len(cases) != len(ids):
        raise ValidationError({"cases": _("Some cases are not in your teams.")})
    if to_user is not None:
        if to_user.role != Role.COLLECTOR or not to_user.is_active:
            raise ValidationError({"to_user": _("Cases go to active collectors.")})
        if any(c.team_id != to_user.team_id for c in cases):
            raise ValidationError({"to_user": _("The collector is not in the cases' team.")})
        moving = sum(
            1 for c in cases if c.assigned_to_id != to_user.pk and c.status in OPEN_CASE_STATUSES
        )
        load = _loads([to_user])[to_user.pk]
        capacity = to_user.team.case_capacity if to_user.team else 0
        if load + moving > capacity:
            raise ValidationError(
                {
                    "to_user": _(
                        "%(name)s holds %(load)d cases; %(moving)d more would exceed the "
                        "capacity of %(capacity)d."
                    )
                    % {
                        "name": to_user.get_username(),
                        "load": load,
                        "moving": moving,
                        "capacity": capacity,
                    }
                }
            )
    changed = 0
    for case in cases:
        if case.assigned_to_id != (to_user.pk if to_user else None):
            case_assign(case_id=case.pk, to_user=to_user, actor=actor, reason=reason)
            changed += 1
    return changed


def _progress_since(case_field: str) -> Q:
    """Progress on a case since it was assigned: a right-party contact, a promise, a payment."""
    rpc = ContactAttempt.objects.filter(
        case=OuterRef("pk"),
        occurred_at__gte=OuterRef(case_field),
        outcome="conversation",
        person="debtor",
    )
    promise = PromiseToPay.objects.filter(case=OuterRef("pk"), created_at__gte=OuterRef(case_field))
    payment = Payment.objects.filter(case=OuterRef("pk"), received_at__gte=OuterRef(case_field))
    return Q(Exists(rpc)) | Q(Exists(promise)) | Q(Exists(payment))


def cases_stale(*, team: Team, now: datetime, days: int) -> list[Case]:
    return list(
        Case.objects.filter(
            team=team,
            assigned_to__isnull=False,
            status__in=ALLOCATABLE_STATUSES,
            assigned_at__lt=now - timedelta(days=days),
        )
        .exclude(_progress_since("assigned_at"))
        .select_related("debtor", "assigned_to")
        .prefetch_related("debts")
        .order_by("assigned_at", "id")
    )


@transaction.atomic
def cases_rotate(
    *, team_id: int, actor: User | None, now: datetime | None = None
) -> AllocationResult:
    """Move cases held longer than the team's rotation period without progress to another
    eligible collector (fresh eyes), within capacity. Cases nobody else can take stay."""
    now = now or timezone.now()
    team = Team.objects.select_for_update().get(pk=team_id)
    policy = team_policy(team=team)
    collectors = _team_collectors(team)
    loads = _loads(collectors)
    rules = list(
        AllocationRule.objects.filter(team=team, active=True).prefetch_related("collectors")
    )
    result = AllocationResult()
    reason = _("Rotation: held %(days)d days without progress") % {"days": policy.rotation_days}
    for case in cases_stale(team=team, now=now, days=policy.rotation_days):
        current = case.assigned_to_id
        chosen, why = _eligible(
            case=case,
            collectors=collectors,
            loads=loads,
            capacity=team.case_capacity,
            rules=rules,
            exclude=current,
        )
        if chosen is None:
            result.unassigned[case.pk] = why
            continue
        case_assign(case_id=case.pk, to_user=chosen, actor=actor, reason=reason)
        loads[chosen.pk] += 1
        if current in loads:
            loads[current] -= 1
        result.assigned[case.pk] = chosen.pk
    return result


@transaction.atomic
def team_policy_update(
    *, team_id: int, actor: User, auto_allocate: bool, rotation_days: int
) -> TeamPolicy:
    """A manager sets how the team's cases are allocated and when they rotate."""
    if not (actor.is_manager or actor.is_admin_role) or not actor.can_write:
        raise ValidationError(_("Only a manager sets the team's allocation policy."))
    if rotation_days < 1 or rotation_days > 365:
        raise ValidationError({"rotation_days": _("Choose between 1 and 365 days.")})
    team = Team.objects.select_for_update().get(pk=team_id)
    policy = team_policy(team=team)
    policy.auto_allocate = auto_allocate
    policy.rotation_days = rotation_days
    policy.save()
    return policy
