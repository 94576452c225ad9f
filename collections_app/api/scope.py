"""What an API caller may reach. Everything outside answers 404 (or, for ids inside a request
body, the same "does not exist" error as a missing row: nothing leaks)."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from collections_app.models import Case, ContactPoint, Debt, Debtor


def _creator_ids(user: User) -> list[int]:
    """Whose freshly created debtors the user works before a case exists for them."""
    if user.is_manager:
        team_ids = list(user.managed_teams.values_list("id", flat=True))
        if user.team_id:
            team_ids.append(user.team_id)
        members = User.objects.filter(team_id__in=team_ids).values_list("id", flat=True)
        return [*members, user.pk]
    return [user.pk]


def debtors_in_scope(user: User) -> QuerySet[Debtor]:
    """Debtors the user sees through a case, plus those created by them (or, for a manager,
    by their team) that have no case yet: the intake steps debtor -> contact points -> debts ->
    case happen before any case makes the debtor visible."""
    if not user.is_authenticated:
        return Debtor.objects.none()
    visible = Debtor.objects.visible_to(user)
    if user.sees_everything:
        return visible
    creators = _creator_ids(user)
    created_by_us = Debtor.history.filter(
        id=OuterRef("pk"), history_type="+", history_user_id__in=creators
    )
    no_case = ~Exists(Case.objects.filter(debtor_id=OuterRef("pk")))
    orphans = Debtor.objects.filter(no_case, Exists(created_by_us))
    return Debtor.objects.filter(models.Q(pk__in=visible.values("pk")) | models.Q(pk__in=orphans))


def debtors_writable(user: User) -> QuerySet[Debtor]:
    if not user.is_authenticated or not user.can_write:
        return Debtor.objects.none()
    return debtors_in_scope(user)


def contact_points_in_scope(user: User, *, write: bool = False) -> QuerySet[ContactPoint]:
    debtors = debtors_writable(user) if write else debtors_in_scope(user)
    return ContactPoint.objects.filter(debtor__in=debtors.values("pk"))


def debts_in_scope(user: User, *, write: bool = False) -> QuerySet[Debt]:
    debtors = debtors_writable(user) if write else debtors_in_scope(user)
    return Debt.objects.filter(debtor__in=debtors.values("pk"))
