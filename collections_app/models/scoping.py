"""The one access choke point: every object a request touches comes from `visible_to(user)`.

collector: own cases and the own team's unassigned queue; manager: own team; auditor and
admin: everything. Everything else (debtors, debts, attempts...) is visible through a visible
case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from accounts.models import User


def case_scope_q(user: User, prefix: str = "") -> models.Q | None:
    """Q over Case (fields reached through `prefix`) for what `user` may see; None = all."""
    if not user.is_authenticated or not user.is_active:
        return models.Q(pk__in=[])
    if user.sees_everything:
        return None
    if user.is_manager:
        team_ids = list(user.managed_teams.values_list("id", flat=True))
        if user.team_id:
            team_ids.append(user.team_id)
        return models.Q(**{f"{prefix}team_id__in": team_ids})
    if user.is_collector:
        own = models.Q(**{f"{prefix}assigned_to_id": user.pk})
        if user.team_id is None:
            return own
        unassigned = models.Q(
            **{f"{prefix}team_id": user.team_id, f"{prefix}assigned_to__isnull": True}
        )
        return own | unassigned
    return models.Q(pk__in=[])


class ScopedQuerySet(models.QuerySet):
    """Subclasses say how their rows reach a Case in `case_path`."""

    case_path: str = ""

    def visible_to(self, user: User) -> ScopedQuerySet:
        from .case import Case

        q = case_scope_q(user)
        if q is None:
            return self.all()
        if q == models.Q(pk__in=[]):
            return self.none()
        if self.case_path == "":
            return self.filter(q)
        visible_cases = Case.objects.filter(q).filter(**{"pk": models.OuterRef(self.case_path)})
        return self.filter(models.Exists(visible_cases))

    def writable_by(self, user: User) -> ScopedQuerySet:
        """What the user may change: what they see, and nothing for read-only roles."""
        if not user.can_write:
            return self.none()
        return self.visible_to(user)


class ViaDebtorQuerySet(ScopedQuerySet):
    """Rows that belong to a debtor: visible when one of the debtor's cases is."""

    debtor_path: str = "debtor"

    def visible_to(self, user: User) -> ScopedQuerySet:
        from .case import Case

        q = case_scope_q(user)
        if q is None:
            return self.all()
        if q == models.Q(pk__in=[]):
            return self.none()
        outer: Any = models.OuterRef(f"{self.debtor_path}_id" if self.debtor_path else "pk")
        return self.filter(models.Exists(Case.objects.filter(q).filter(debtor_id=outer)))


class CaseChildQuerySet(ScopedQuerySet):
    """Rows that hang off one case."""

    case_path = "case_id"
