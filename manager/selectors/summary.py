"""The dashboard's portfolio figures (buckets, roll rates, recovery curves, and the collectors'
figures of the month to date) for a scope: computed live, or read from a `PortfolioSummary`
refreshed by Celery (`manager.services.summaries`).

A scope is the set of teams whose cases the figures cover, worked out from what the user may
see (`team_ids_for`, the same rule as `Case.objects.visible_to`) and the team asked for. The
summary is looked up by that scope only, so asking for another team's id gives the figures
of the cases one sees of that team (none), never the team's summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from accounts.models import Role, Team, User
from collections_app.models import Case
from manager.models import PortfolioSummary

from .common import DateRange, month_to_date, team_ids_for
from .portfolio import BucketRow, RecoveryCurve, buckets_of, recovery_curves_of
from .rolls import RollRates, RollRow, roll_rates_report_of
from .team import COUNTED, CollectorFigures, collector_rows, team_figures_of

# How old a summary may be and still be shown (the beat refreshes them every few minutes).
DEFAULT_MAX_AGE = timedelta(minutes=15)
# The entry of CELERY_BEAT_SCHEDULE that refreshes them.
BEAT_ENTRY = "portfolio-summaries"


@dataclass(frozen=True)
class PortfolioScope:
    team_ids: tuple[int, ...] | None  # None: every case, with or without a team

    @property
    def key(self) -> str:
        if self.team_ids is None:
            return "all"
        return "teams:" + ",".join(str(t) for t in self.team_ids)

    def cases(self) -> QuerySet[Case]:
        if self.team_ids is None:
            return Case.objects.all()
        return Case.objects.filter(team_id__in=self.team_ids)

    def collectors(self) -> QuerySet[User]:
        """`collectors_for` of a user whose dashboard has this scope."""
        qs = User.objects.filter(role=Role.COLLECTOR, is_active=True).select_related("team")
        if self.team_ids is not None:
            qs = qs.filter(team_id__in=self.team_ids)
        return qs.order_by("team__name", "username")


def portfolio_scope_for(*, user: User, team_id: int | None = None) -> PortfolioScope:
    """The teams the dashboard of `user` covers: `cases_for(user, team_id=...)` as a scope."""
    if not (user.is_authenticated and user.is_active):
        return PortfolioScope(team_ids=())
    ids = team_ids_for(user)
    if ids is None:
        return PortfolioScope(team_ids=None if team_id is None else (team_id,))
    if team_id is not None:
        ids = [team_id] if team_id in ids else []
    return PortfolioScope(team_ids=tuple(sorted(set(ids))))


@dataclass
class TeamCounts:
    """The counted figures of each collector (by id) over the month to date of `today`."""

    today: date
    rows: dict[int, dict[str, int | Decimal]]


@dataclass
class PortfolioFigures:
    buckets: list[BucketRow]
    rolls: RollRates
    curves: list[RecoveryCurve]
    # Only when the last day is the day the figures were computed: the default page.
    team: TeamCounts | None = None


def portfolio_figures_live(
    *, scope: PortfolioScope, last_day: date, today: date
) -> PortfolioFigures:
    cases = scope.cases()
    team = None
    if last_day == today:
        rows = team_figures_of(
            collectors=list(scope.collectors()),
            cases=cases,
            period=month_to_date(today),
            today=today,
        )
        team = TeamCounts(
            today=today,
            rows={r.collector.pk: {f: getattr(r, f) for f in COUNTED} for r in rows},
        )
    return PortfolioFigures(
        buckets=buckets_of(cases=cases),
        rolls=roll_rates_report_of(cases=cases, last_day=last_day),
        curves=recovery_curves_of(cases=cases, last_day=last_day),
        team=team,
    )


def team_figures_from(
    *, figures: PortfolioFigures, collectors: list[User], period: DateRange, today: date
) -> list[CollectorFigures] | None:
    """The per-collector rows from the counts kept with the figures, when they were counted
    over this range and day for exactly these collectors; None otherwise."""
    team = figures.team
    if team is None or team.today != today or period != month_to_date(today):
        return None
    if {c.pk for c in collectors} != set(team.rows):
        return None
    rows = collector_rows(collectors=collectors, period=period)
    for row in rows:
        for name, value in team.rows[row.collector.pk].items():
            setattr(row, name, value)
    return rows


def figures_to_json(figures: PortfolioFigures) -> dict[str, Any]:
    """Plain JSON: amounts as strings (exact), dates in ISO form."""
    return {
        "buckets": [
            {"bucket": b.bucket, "cases": b.cases, "debts": b.debts, "balance": str(b.balance)}
            for b in figures.buckets
        ],
        "rolls": [
            {
                "month": r.month.isoformat(),
                "bucket": r.bucket,
                "debts": r.debts,
                "rolled": r.rolled,
                "stayed": r.stayed,
                "cured": r.cured,
            }
            for r in figures.rolls.rows
        ],
        "rolls_as_of": figures.rolls.as_of.isoformat() if figures.rolls.as_of else None,
        "curves": [
            {
                "placed_month": c.placed_month.isoformat(),
                "placed_principal": str(c.placed_principal),
                "cumulative": [str(v) for v in c.cumulative],
            }
            for c in figures.curves
        ],
        "team": None
        if figures.team is None
        else {
            "today": figures.team.today.isoformat(),
            "rows": {
                str(pk): {f: v if isinstance(v, int) else str(v) for f, v in counts.items()}
                for pk, counts in figures.team.rows.items()
            },
        },
    }


def figures_from_json(data: dict[str, Any]) -> PortfolioFigures:
    as_of = data["rolls_as_of"]
    return PortfolioFigures(
        buckets=[
            BucketRow(
                bucket=b["bucket"],
                cases=b["cases"],
                debts=b["debts"],
                balance=Decimal(b["balance"]),
            )
            for b in data["buckets"]
        ],
        rolls=RollRates(
            rows=[
                RollRow(
                    month=date.fromisoformat(r["month"]),
                    bucket=r["bucket"],
                    debts=r["debts"],
                    rolled=r["rolled"],
                    stayed=r["stayed"],
                    cured=r["cured"],
                )
                for r in data["rolls"]
            ],
            as_of=parse_datetime(as_of) if as_of else None,
        ),
        curves=[
            RecoveryCurve(
                placed_month=date.fromisoformat(c["placed_month"]),
                placed_principal=Decimal(c["placed_principal"]),
                cumulative=[Decimal(v) for v in c["cumulative"]],
            )
            for c in data["curves"]
        ],
        team=_team_from_json(data.get("team")),
    )


def _team_from_json(data: dict[str, Any] | None) -> TeamCounts | None:
    if data is None:
        return None
    return TeamCounts(
        today=date.fromisoformat(data["today"]),
        rows={
            int(pk): {f: v if isinstance(v, int) else Decimal(v) for f, v in counts.items()}
            for pk, counts in data["rows"].items()
        },
    )


def summary_max_age() -> timedelta:
    value = getattr(settings, "DASHBOARD_SUMMARY_MAX_AGE", DEFAULT_MAX_AGE)
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def summary_refresh_minutes() -> int | None:
    """How often the beat refreshes the summaries, in minutes (None when it does not)."""
    entry = getattr(settings, "CELERY_BEAT_SCHEDULE", {}).get(BEAT_ENTRY)
    every = entry.get("schedule") if entry else None
    if isinstance(every, timedelta):
        every = every.total_seconds()
    return max(round(every / 60), 1) if isinstance(every, int | float) else None


def portfolio_summary_fresh(
    *, scope: PortfolioScope, last_day: date, now: datetime
) -> PortfolioSummary | None:
    """The summary of the scope and day if it was computed within the maximum age."""
    return PortfolioSummary.objects.filter(
        scope=scope.key, last_day=last_day, computed_at__gte=now - summary_max_age()
    ).first()


def portfolio_scopes_to_refresh() -> list[PortfolioScope]:
    """Every scope a dashboard opens on by default or by choosing a team: all teams, each
    team, and the set of teams of each manager who runs more than one."""
    scopes = {PortfolioScope(team_ids=None)}
    scopes.update(PortfolioScope(team_ids=(t,)) for t in Team.objects.values_list("id", flat=True))
    for manager in User.objects.filter(role=Role.MANAGER, is_active=True):
        scopes.add(portfolio_scope_for(user=manager))
    return sorted(scopes, key=lambda s: (s.team_ids is not None, s.team_ids or ()))
