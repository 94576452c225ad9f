"""The team dashboard and its CSV export."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import role_required
from config.csvsafe import csv_safe
from manager import selectors
from manager.forms import PeriodForm
from manager.selectors.summary import (
    portfolio_scope_for,
    summary_refresh_minutes,
    team_figures_from,
)
from manager.services.summaries import portfolio_figures_get, portfolio_summary_refresh

from .common import team_param


def _drill(base: dict[str, str], cases_url: str, **params: object) -> str:
    query = {**base, **{k: str(v) for k, v in params.items() if v not in (None, "")}}
    return f"{cases_url}?{urlencode(query)}"


def _context(request: HttpRequest) -> dict[str, object]:
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    period = form.period(today)
    team_id = team_param(request)
    user = request.user
    # Buckets, roll rates, recovery curves and the collectors' month to date sweep every case,
    # debt and payment of the scope: read from the scope's summary when it is fresh, else
    # computed now and kept for the next view.
    scope = portfolio_scope_for(user=user, team_id=team_id)
    reading = portfolio_figures_get(scope=scope, last_day=period.end, today=today)
    rows = team_figures_from(
        figures=reading.figures,
        collectors=list(scope.collectors()),
        period=period,
        today=today,
    )
    team_from_summary = rows is not None
    if rows is None:  # another range than the month to date: counted now
        rows = selectors.team_figures(user=user, period=period, today=today, team_id=team_id)
    base = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    # About a hundred drill-down links: the list's URL is reversed once, not per link.
    cases_url = reverse("manager:cases")
    if team_id:
        base["team"] = str(team_id)
    for row in rows:
        c = row.collector.pk
        row.extra = {
            m: _drill(base, cases_url, collector=c, metric=m)
            for m in (
                "active",
                "attempts",
                "rpc",
                "promises",
                "kept",
                "broken",
                "collected",
                "blocked",
                "flagged",
            )
        }
    buckets = reading.figures.buckets
    bucket_links = {
        b.bucket: _drill(base, cases_url, bucket=b.bucket, status="open") for b in buckets
    }
    for b in buckets:
        b.link = bucket_links[b.bucket]  # type: ignore[attr-defined]
    roll_report = reading.figures.rolls
    rolls = roll_report.rows
    # A matrix: one row per bucket, one column per month end.
    roll_months = sorted({r.month for r in rolls})
    cells = {(r.bucket, r.month): r for r in rolls}
    roll_matrix = [
        (bucket, [cells.get((bucket, m)) for m in roll_months])
        for bucket in selectors.portfolio.BUCKETS
        if any((bucket, m) in cells for m in roll_months)
    ]
    curves = reading.figures.curves
    reminders = selectors.reminder_outcomes(user=user, period=period, team_id=team_id)
    arms = selectors.strategy_comparison(user=user, period=period, team_id=team_id)
    for arm in arms:
        arm.link = _drill(base, cases_url, strategy=arm.strategy_id, arm=arm.arm)  # type: ignore[attr-defined]
    chart = {
        "collectors": {
            "labels": [r.collector.get_username() for r in rows],
            "collected": [float(r.collected) for r in rows],
            "target": [float(r.target) for r in rows],
            "active": [r.active_cases for r in rows],
            "capacity": [r.capacity for r in rows],
            "links": [r.extra["collected"] for r in rows],
            "label_collected": _("Collected"),
            "label_target": _("Target (prorated)"),
        },
        "buckets": {
            "labels": [b.bucket for b in buckets],
            "balance": [float(b.balance) for b in buckets],
            "cases": [b.cases for b in buckets],
            "links": [bucket_links[b.bucket] for b in buckets],
            "label_balance": _("Open balance"),
            "label_cases": _("Cases"),
        },
        "recovery": {
            "series": [
                {
                    "label": c.placed_month.strftime("%Y-%m"),
                    "data": [float(p) if p is not None else None for p in c.cumulative_pct],
                }
                for c in curves
            ],
            "label_x": _("Months since placement"),
            "label_y": _("Collected (percent of principal)"),
        },
        "reminders": {
            "labels": list(reminders),
            "counts": list(reminders.values()),
            "links": [
                _drill(base, cases_url, metric="reminders", reminder_status=s) for s in reminders
            ],
        },
    }
    return {
        "form": form,
        "period": period,
        "rows": rows,
        "totals": selectors.team_totals(rows),
        "buckets": buckets,
        "rolls": rolls,
        "rolls_as_of": roll_report.as_of,
        "summary_at": reading.computed_at,
        "team_from_summary": team_from_summary,
        "summary_every": summary_refresh_minutes(),
        "roll_months": roll_months,
        "roll_matrix": roll_matrix,
        "curves": curves,
        "reminders": [
            (s, n, _drill(base, cases_url, metric="reminders", reminder_status=s))
            for s, n in reminders.items()
        ],
        "arms": arms,
        "chart": chart,
        "teams": selectors.teams_for(user),
        "team_id": team_id,
        "csv_query": urlencode(base),
        "unassigned_link": _drill(base, cases_url, collector="none", status="open"),
        "unassigned": selectors.unassigned_count(user=user, team_id=team_id),
        "open_link": _drill(base, cases_url, status="open"),
        "kpi_links": {
            m: _drill(base, cases_url, metric=m)
            for m in ("attempts", "rpc", "promises", "collected", "blocked")
        },
    }


@role_required("manager", "admin")
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "manager/dashboard.html", _context(request))


@role_required("manager", "admin")
@require_POST
def dashboard_refresh(request: HttpRequest) -> HttpResponse:
    """Compute the portfolio figures of the dashboard's scope now ("Refresh now")."""
    form = PeriodForm(request.POST or None)
    period = form.period(timezone.localdate())
    raw = request.POST.get("team", "")
    team_id = int(raw) if raw.isdigit() else None
    # A team the user does not run is out of scope: 404, as for any object one may not see.
    if team_id is not None and not selectors.teams_for(request.user).filter(pk=team_id).exists():
        raise Http404
    scope = portfolio_scope_for(user=request.user, team_id=team_id)
    portfolio_summary_refresh(scope=scope, last_day=period.end)
    messages.success(request, _("Portfolio figures computed again."))
    query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    if team_id is not None:
        query["team"] = str(team_id)
    return redirect(f"{reverse('manager:dashboard')}?{urlencode(query)}")


def _cell(value: object) -> object:
    return "" if value is None else csv_safe(value)


@role_required("manager", "admin")
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    period = form.period(today)
    rows = selectors.team_figures(
        user=request.user, period=period, today=today, team_id=team_param(request)
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"team-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Collector"),
            _("Team"),
            _("Active cases"),
            _("Capacity"),
            _("Attempts today"),
            _("Right-party contacts today"),
            _("Attempts this week"),
            _("Right-party contacts this week"),
            _("Attempts"),
            _("Right-party contacts"),
            _("Contact rate %"),
            _("Promises"),
            _("Promise rate %"),
            _("Amount promised"),
            _("Promises kept"),
            _("Promises broken"),
            _("Kept rate %"),
            _("Collected"),
            _("Target (prorated)"),
            _("Target %"),
            _("Compliance blocks"),
            _("Flagged attempts"),
        ]
    )
    for r in rows:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    r.collector.get_username(),
                    r.collector.team,
                    r.active_cases,
                    r.capacity,
                    r.attempts_today,
                    r.rpc_today,
                    r.attempts_week,
                    r.rpc_week,
                    r.attempts,
                    r.rpc,
                    r.contact_rate,
                    r.promises,
                    r.promise_rate,
                    r.promised_amount,
                    r.promises_kept,
                    r.promises_broken,
                    r.kept_rate,
                    r.collected,
                    r.target,
                    r.target_pct,
                    r.blocks,
                    r.flagged,
                )
            ]
        )
    return response
