"""Shared pieces of the manager's reads: the date range, the team scope, the collectors."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet

from accounts.models import Role, Team, User
from collections_app.models import Case


@dataclass(frozen=True)
class DateRange:
    """Inclusive calendar days, evaluated in UTC (the server's time zone)."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start_at, f"{field}__lt": self.end_before})

    def q_date(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lte": self.end})


def month_to_date(today: date) -> DateRange:
    return DateRange(start=today.replace(day=1), end=today)


def target_share(*, monthly_target: Decimal, period: DateRange) -> Decimal:
    """The monthly target prorated over the days of each calendar month the range covers."""
    total = Decimal("0")
    day = period.start
    while day <= period.end:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        month_end = day.replace(day=days_in_month)
        last = min(month_end, period.end)
        covered = (last - day).days + 1
        total += monthly_target * Decimal(covered) / Decimal(days_in_month)
        day = last + timedelta(days=1)
    return total.quantize(Decimal("0.01"))


def team_ids_for(user: User) -> list[int] | None:
    """The teams a manager runs; None for roles that see every team."""
    if user.sees_everything:
        return None
    ids = list(user.managed_teams.values_list("id", flat=True))
    if user.team_id and user.team_id not in ids:
        ids.append(user.team_id)
    return ids


def teams_for(user: User) -> QuerySet[Team]:
    ids = team_ids_for(user)
    teams = Team.objects.all()
    return teams if ids is None else teams.filter(id__in=ids)


def collectors_for(user: User, *, team_id: int | None = None) -> QuerySet[User]:
    """Active collectors of the teams the user runs (admins: every team, or the one chosen)."""
    qs = User.objects.filter(role=Role.COLLECTOR, is_active=True).select_related("team")
    ids = team_ids_for(user)
    if ids is not None:
        qs = qs.filter(team_id__in=ids)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    return qs.order_by("team__name", "username")


def cases_for(user: User, *, team_id: int | None = None) -> QuerySet[Case]:
    qs = Case.objects.visible_to(user)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    return qs


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """A share in percent with one decimal, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"))
