"""Portfolio summaries: the dashboard's buckets, roll rates, recovery curves and collectors'
month-to-date figures of a scope and day, written ahead so that the page reads one row instead
of sweeping every case, debt and payment of the scope (seconds at 100,000 cases).

Refreshed every few minutes by Celery (`manager.tasks.portfolio_summaries_refresh`, one task
per scope, one scope after the other), by the page when it finds no summary fresh enough (it
computes live, shows those figures and keeps them), and by the page's "Refresh now" button.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from manager.models import PortfolioSummary
from manager.selectors.summary import (
    PortfolioFigures,
    PortfolioScope,
    figures_from_json,
    figures_to_json,
    portfolio_figures_live,
    portfolio_summary_fresh,
)

# Summaries older than this are deleted by the beat's refresh round.
KEEP_DAYS = 7


@dataclass
class PortfolioReading:
    figures: PortfolioFigures
    computed_at: datetime  # when the figures were computed (the start of the computation)
    from_summary: bool  # read from a stored summary rather than computed for this request


def portfolio_summary_refresh(
    *, scope: PortfolioScope, last_day: date, today: date | None = None
) -> PortfolioReading:
    """Compute the figures now and keep them as the scope's summary for `last_day`."""
    computed_at = timezone.now()
    started = time.perf_counter()
    figures = portfolio_figures_live(
        scope=scope, last_day=last_day, today=today or timezone.localdate()
    )
    duration_ms = round((time.perf_counter() - started) * 1000)
    table = PortfolioSummary._meta.db_table
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    ops = connection.ops
    # Two refreshes of the same scope may run at once (the beat and a page, or a task
    # delivered twice): the upsert never fails on the unique key, and the WHERE keeps the
    # figures computed last, so an older computation finishing late never replaces newer ones.
    sql = f"""
        INSERT INTO {table} (scope, last_day, figures, computed_at, duration_ms)
        VALUES (%s, %s, %s{jsonb}, %s, %s)
        ON CONFLICT (scope, last_day) DO UPDATE
        SET figures = EXCLUDED.figures, computed_at = EXCLUDED.computed_at,
            duration_ms = EXCLUDED.duration_ms
        WHERE {table}.computed_at <= EXCLUDED.computed_at
    """  # noqa: S608 (the table name from the model; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            (
                scope.key,
                ops.adapt_datefield_value(last_day),
                json.dumps(figures_to_json(figures)),
                ops.adapt_datetimefield_value(computed_at),
                duration_ms,
            ),
        )
    return PortfolioReading(figures=figures, computed_at=computed_at, from_summary=False)


def portfolio_figures_get(
    *, scope: PortfolioScope, last_day: date, today: date | None = None, now: datetime | None = None
) -> PortfolioReading:
    """The scope's summary when one is fresh enough; otherwise computed live and kept."""
    summary = portfolio_summary_fresh(scope=scope, last_day=last_day, now=now or timezone.now())
    if summary is not None:
        return PortfolioReading(
            figures=figures_from_json(summary.figures),
            computed_at=summary.computed_at,
            from_summary=True,
        )
    return portfolio_summary_refresh(scope=scope, last_day=last_day, today=today)


def portfolio_summaries_prune(*, now: datetime | None = None) -> int:
    """Drop the summaries computed more than KEEP_DAYS ago: no page reads them any more (they
    are read for `DASHBOARD_SUMMARY_MAX_AGE` only)."""
    before = (now or timezone.now()) - timedelta(days=KEEP_DAYS)
    deleted, _ = PortfolioSummary.objects.filter(computed_at__lt=before).delete()
    return deleted
