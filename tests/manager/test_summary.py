"""Portfolio summaries: the stored figures are those of the live computation, a manager never
reads another team's summary, a stale summary is computed again, the refresh is safe to run
twice, and the dashboard reading a fresh summary costs few queries, whatever the cases."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from collections_app.models import Debt, Outcome, Payment, PromiseStatus
from manager.models import PortfolioSummary
from manager.selectors import (
    DateRange,
    buckets,
    recovery_curves,
    roll_rates_report,
    team_figures,
)
from manager.selectors.rolls import BUCKETS
from manager.selectors.summary import (
    PortfolioScope,
    figures_from_json,
    portfolio_figures_live,
    portfolio_scope_for,
    portfolio_scopes_to_refresh,
    team_figures_from,
)
from manager.services import summaries
from manager.services.snapshots import month_end_snapshots_refresh
from manager.services.summaries import (
    portfolio_figures_get,
    portfolio_summaries_prune,
    portfolio_summary_refresh,
)
from manager.tasks import portfolio_summaries_refresh as refresh_all_task
from manager.tasks import portfolio_summary_refresh as refresh_task
from tests.factories import (
    CaseFactory,
    ComplianceDecisionFactory,
    ContactAttemptFactory,
    DebtFactory,
    PromiseFactory,
    UserFactory,
)

from .test_rolls import NOW, TODAY, at, history  # noqa: F401 (the fixture of the debts' history)

pytestmark = pytest.mark.django_db
MONTH = DateRange(start=date(2026, 7, 1), end=TODAY)


@pytest.fixture
def portfolio(history, collector, other_collector):  # type: ignore[no-untyped-def]  # noqa: F811
    """The debts with a history of buckets, and payments and a reversal in several months
    after their placement (5 January), for the recovery curves; the cases held by a collector
    of each team, with attempts, promises and blocks this month, today and before."""
    for i, debt in enumerate(history):
        case = debt.cases.first()
        holder = collector if case.team_id == collector.team_id else other_collector
        if i % 3:
            case.assigned_to = holder
            case.save()
        for k, when in enumerate((at(2026, 6, 30), at(2026, 7, 2), at(2026, 7, 14, 9))):
            ContactAttemptFactory(
                case=case,
                actor=holder,
                occurred_at=when,
                outcome=Outcome.CONVERSATION if (i + k) % 2 else Outcome.NO_ANSWER,
                flagged=k == 1 and i % 2 == 0,
            )
        with time_machine.travel(at(2026, 7, 3), tick=False):
            PromiseFactory(
                case=case,
                created_by=holder,
                amount=Decimal("33.10") + i,
                due_date=date(2026, 7, 10),
                status=PromiseStatus.KEPT if i % 3 else PromiseStatus.BROKEN,
            )
            ComplianceDecisionFactory(debtor=case.debtor, actor=holder, allowed=i % 3 == 0)
        for month in (1, 3, 6, 7):
            with time_machine.travel(at(2026, month, 10), tick=False):
                Payment.objects.create(
                    case=case,
                    debt=debt,
                    amount=Decimal("10.25") * (i + month),
                    received_at=at(2026, month, 10),
                    external_reference=f"s-{debt.pk}-{month}",
                )
    first = Payment.objects.order_by("pk").first()
    Payment.objects.create(
        case=first.case,
        debt=first.debt,
        amount=first.amount,
        received_at=at(2026, 4, 2),
        reverses=first,
        external_reference="s-rev",
    )
    return history


def _live_by_user(user, team_id=None):  # type: ignore[no-untyped-def]
    """The figures as the dashboard computed them before summaries: from the user's cases."""
    return (
        buckets(user=user, team_id=team_id),
        roll_rates_report(user=user, last_day=TODAY, team_id=team_id),
        recovery_curves(user=user, last_day=TODAY, team_id=team_id),
        team_figures(user=user, period=MONTH, today=TODAY, team_id=team_id),
    )


def _team_rows(read, scope):  # type: ignore[no-untyped-def]
    return team_figures_from(
        figures=read.figures, collectors=list(scope.collectors()), period=MONTH, today=TODAY
    )


@pytest.mark.parametrize("snapshots", [False, True])
def test_a_summary_gives_the_figures_of_the_live_computation(
    portfolio, manager, other_manager, admin_user, team, other_team, snapshots
):
    with time_machine.travel(NOW, tick=False):
        if snapshots:
            month_end_snapshots_refresh(months=6)
        for user, team_id in [
            (manager, None),
            (other_manager, None),
            (admin_user, None),
            (admin_user, team.pk),
            (admin_user, other_team.pk),
        ]:
            scope = portfolio_scope_for(user=user, team_id=team_id)
            computed = portfolio_summary_refresh(scope=scope, last_day=TODAY)
            read = portfolio_figures_get(scope=scope, last_day=TODAY)
            assert read.from_summary and not computed.from_summary
            assert read.figures == computed.figures
            assert read.computed_at == computed.computed_at == NOW
            b, rolls, curves, team_rows = _live_by_user(user, team_id)
            assert read.figures.buckets == b
            assert read.figures.rolls == rolls
            assert read.figures.curves == curves
            assert _team_rows(read, scope) == team_rows
            assert any(r.attempts_today and r.rpc and r.collected and r.blocks for r in team_rows)
            assert any(r.active_cases and r.flagged and r.promises_kept for r in team_rows)
            # The data really exercises every figure (a comparison of empty lists proves nothing).
            assert any(r.balance for r in b) and rolls.rows and curves
            assert any(any(c.cumulative) for c in curves)
            assert (rolls.as_of == NOW) is snapshots


def test_a_manager_never_reads_another_teams_summary(
    client, portfolio, manager, other_manager, team, other_team
):
    with time_machine.travel(NOW, tick=False):
        for scope in portfolio_scopes_to_refresh():
            portfolio_summary_refresh(scope=scope, last_day=TODAY)
        mine = portfolio_figures_get(scope=portfolio_scope_for(user=manager), last_day=TODAY)
        theirs = portfolio_figures_get(
            scope=portfolio_scope_for(user=other_manager), last_day=TODAY
        )
        assert mine.from_summary and theirs.from_summary
        assert mine.figures != theirs.figures
        assert mine.figures.buckets == buckets(user=manager)
        assert theirs.figures.buckets == buckets(user=other_manager)
        # Asking for the other team by id gives what one sees of it: nothing.
        asked = portfolio_scope_for(user=manager, team_id=other_team.pk)
        assert asked == PortfolioScope(team_ids=())
        client.force_login(manager)
        page = client.get(reverse("manager:dashboard"), {"team": other_team.pk}).content.decode()
    assert page.count('data-metric="bucket">0</a>') == len(BUCKETS)
    assert any(r.cases for r in theirs.figures.buckets)
    empty = portfolio_figures_get(scope=asked, last_day=TODAY).figures
    assert not any(r.cases or r.balance for r in empty.buckets)
    assert empty.rolls.rows == [] and empty.curves == []


def test_a_manager_of_two_teams_has_one_scope_for_both(manager, team, other_team):
    other_team.manager = manager
    other_team.save()
    assert portfolio_scope_for(user=manager).team_ids == tuple(sorted((team.pk, other_team.pk)))
    assert portfolio_scope_for(user=manager, team_id=other_team.pk).team_ids == (other_team.pk,)
    keys = {s.key for s in portfolio_scopes_to_refresh()}
    assert keys == {
        "all",
        f"teams:{team.pk}",
        f"teams:{other_team.pk}",
        portfolio_scope_for(user=manager).key,
    }


def test_a_stale_summary_is_computed_again_and_a_fresh_one_is_read(
    client, settings, portfolio, manager, team
):
    settings.CELERY_BEAT_SCHEDULE = {
        "portfolio-summaries": {
            "task": "manager.tasks.portfolio_summaries_refresh",
            "schedule": 300.0,
        }
    }
    scope = portfolio_scope_for(user=manager)
    with time_machine.travel(NOW, tick=False):
        portfolio_summary_refresh(scope=scope, last_day=TODAY)
        debt = DebtFactory(days_past_due=500, balance=Decimal("777.00"))
        CaseFactory(team=team, debtor=debt.debtor, debts=[debt])
        live = portfolio_figures_live(scope=scope, last_day=TODAY, today=TODAY)
    with time_machine.travel(NOW + timedelta(minutes=14), tick=False):
        fresh = portfolio_figures_get(scope=scope, last_day=TODAY)
    assert fresh.from_summary and fresh.figures != live  # the figures of 12:00
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        client.force_login(manager)
        page = client.get(reverse("manager:dashboard"), {"end": TODAY.isoformat()})
        again = portfolio_figures_get(scope=scope, last_day=TODAY)
    assert again.from_summary and again.figures == live
    assert again.computed_at == NOW + timedelta(minutes=16)
    assert "as of 12:16 UTC (refreshed every 5 minutes)" in page.content.decode()
    assert PortfolioSummary.objects.filter(scope=scope.key).count() == 1


def test_the_max_age_is_a_setting(settings, portfolio, manager):
    settings.DASHBOARD_SUMMARY_MAX_AGE = timedelta(minutes=1)
    scope = portfolio_scope_for(user=manager)
    with time_machine.travel(NOW, tick=False):
        portfolio_summary_refresh(scope=scope, last_day=TODAY)
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        assert not portfolio_figures_get(scope=scope, last_day=TODAY).from_summary


def test_the_refresh_task_is_idempotent_and_keeps_the_latest(portfolio, manager, team):
    with time_machine.travel(NOW, tick=False):
        assert refresh_task(team_ids=[team.pk]) == f"teams:{team.pk}"
        first = PortfolioSummary.objects.get(scope=f"teams:{team.pk}", last_day=TODAY)
        assert refresh_task(team_ids=[team.pk, team.pk]) == f"teams:{team.pk}"
        assert refresh_task(team_ids=None) == "all"
    rows = PortfolioSummary.objects.filter(scope=f"teams:{team.pk}", last_day=TODAY)
    assert rows.count() == 1 and rows[0].figures == first.figures
    # A computation that started earlier and ends later never replaces newer figures.
    with time_machine.travel(NOW - timedelta(minutes=3), tick=False):
        portfolio_summary_refresh(scope=PortfolioScope(team_ids=(team.pk,)), last_day=TODAY)
    assert rows.get().computed_at == NOW


def test_the_beat_round_refreshes_every_scope_one_after_the_other(
    portfolio, team, other_team, monkeypatch
):
    queued: list[dict] = []
    monkeypatch.setattr(refresh_task, "apply_async", lambda kwargs, expires: queued.append(kwargs))
    with time_machine.travel(NOW, tick=False):
        assert refresh_all_task() == 3
        assert len(queued) == 1  # one at a time: the next is sent when this one ends
        done = []
        while queued:
            done.append(refresh_task(**queued.pop(0)))
    assert sorted(done) == sorted(["all", f"teams:{team.pk}", f"teams:{other_team.pk}"])
    assert PortfolioSummary.objects.filter(last_day=TODAY).count() == 3


def test_a_failed_scope_does_not_stop_the_round(portfolio, team, other_team, monkeypatch):
    queued: list[dict] = []
    monkeypatch.setattr(refresh_task, "apply_async", lambda kwargs, expires: queued.append(kwargs))
    real = summaries.portfolio_summary_refresh

    def refresh(*, scope, last_day):  # type: ignore[no-untyped-def]
        if scope.team_ids is None:
            raise RuntimeError("the database went away")
        return real(scope=scope, last_day=last_day)

    monkeypatch.setattr(summaries, "portfolio_summary_refresh", refresh)
    with time_machine.travel(NOW, tick=False):
        refresh_all_task()
        failed = 0
        while queued:
            try:
                refresh_task(**queued.pop(0))
            except RuntimeError:
                failed += 1
    assert failed == 1
    assert set(PortfolioSummary.objects.values_list("scope", flat=True)) == {
        f"teams:{team.pk}",
        f"teams:{other_team.pk}",
    }


def _post_refresh(client, **data):  # type: ignore[no-untyped-def]
    return client.post(reverse("manager:dashboard_refresh"), data)


@pytest.mark.parametrize("persona", ["collector", "auditor"])
def test_other_roles_cannot_refresh(client, request, persona, team):
    client.force_login(request.getfixturevalue(persona))
    assert _post_refresh(client).status_code == 404
    assert _post_refresh(client, team=team.pk).status_code == 404
    assert not PortfolioSummary.objects.exists()


def test_a_manager_refreshes_own_scope_only(client, portfolio, manager, team, other_team):
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        assert _post_refresh(client, team=other_team.pk).status_code == 404
        assert not PortfolioSummary.objects.exists()
        assert client.get(reverse("manager:dashboard_refresh")).status_code == 405
        response = _post_refresh(client, start="2026-07-01", end=TODAY.isoformat())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("manager:dashboard"))
    summary = PortfolioSummary.objects.get()
    assert summary.scope == f"teams:{team.pk}" and summary.computed_at == NOW
    later = NOW + timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        _post_refresh(client, team=team.pk, end=TODAY.isoformat())
    assert PortfolioSummary.objects.get().computed_at == later


def test_refresh_needs_the_csrf_token(portfolio, manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert _post_refresh(client).status_code == 403
    assert not PortfolioSummary.objects.exists()


def test_dashboard_with_a_fresh_summary_costs_few_queries_whatever_the_cases(
    client, portfolio, manager, collector, team
):
    client.force_login(manager)
    url = reverse("manager:dashboard")
    with time_machine.travel(NOW, tick=False):
        client.get(url)  # computes and keeps the summary
        with CaptureQueriesContext(connection) as few:
            page = client.get(url)
        for _ in range(30):
            debt = DebtFactory(days_past_due=100)
            CaseFactory(team=team, assigned_to=collector, debtor=debt.debtor, debts=[debt])
        with CaptureQueriesContext(connection) as more:
            client.get(url)
    sql = " ".join(q["sql"] for q in few.captured_queries)
    assert PortfolioSummary._meta.db_table in sql
    # Neither the debts (buckets, curves) nor their history (roll rates) are read.
    assert f'"{Debt._meta.db_table}"' not in sql
    assert f'"{Debt.history.model._meta.db_table}"' not in sql
    assert len(more.captured_queries) <= len(few.captured_queries) <= 15
    assert "Refresh now" in page.content.decode()


def test_summaries_are_per_day(portfolio, manager):
    scope = portfolio_scope_for(user=manager)
    with time_machine.travel(NOW, tick=False):
        portfolio_summary_refresh(scope=scope, last_day=TODAY)
        other_day = portfolio_figures_get(scope=scope, last_day=date(2026, 5, 31))
    assert not other_day.from_summary
    assert other_day.figures.curves == recovery_curves(user=manager, last_day=date(2026, 5, 31))
    assert PortfolioSummary.objects.filter(scope=scope.key).count() == 2


def test_collector_rows_come_from_the_summary_only_for_the_month_to_date(
    client, portfolio, manager, collector, team
):
    client.force_login(manager)
    url = reverse("manager:dashboard")
    with time_machine.travel(NOW, tick=False):
        page = client.get(url).content.decode()
        assert "Collector and portfolio figures as of 12:00 UTC." in page
        other_range = client.get(url, {"start": "2026-07-02", "end": TODAY.isoformat()})
        assert "Portfolio figures (buckets, roll rates, recovery curves) as of" in (
            other_range.content.decode()
        )
        summary = portfolio_figures_get(scope=portfolio_scope_for(user=manager), last_day=TODAY)
        narrow = DateRange(start=date(2026, 7, 2), end=TODAY)
        assert summary.from_summary
        assert (
            team_figures_from(
                figures=summary.figures, collectors=[collector], period=narrow, today=TODAY
            )
            is None
        )
        # A collector who joined since the summary: the rows are counted again.
        UserFactory(username="carol", role=Role.COLLECTOR, team=team)
        scope = portfolio_scope_for(user=manager)
        assert _team_rows(summary, scope) is None
        page = client.get(url).content.decode()
    assert 'data-collector="carol"' in page
    assert "Portfolio figures (buckets, roll rates, recovery curves) as of" in page


@pytest.mark.postgres  # two writers at once: SQLite locks the whole table instead
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_of_a_new_scope_at_once_leave_one_summary(manager, team):
    """Both insert the same (scope, day): the second waits for the first and updates its row
    instead of failing on the unique key."""
    import threading

    from django.db import transaction

    debt = DebtFactory(days_past_due=40)
    CaseFactory(team=team, debtor=debt.debtor, debts=[debt])
    scope = portfolio_scope_for(user=manager)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with transaction.atomic():
                barrier.wait(timeout=30)
                portfolio_summary_refresh(scope=scope, last_day=TODAY, today=TODAY)
        except BaseException as exc:  # reported below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    summary = PortfolioSummary.objects.get(scope=scope.key, last_day=TODAY)
    assert sum(b.balance for b in figures_from_json(summary.figures).buckets) == debt.balance


def test_old_summaries_are_pruned(portfolio, manager):
    scope = portfolio_scope_for(user=manager)
    with time_machine.travel(NOW - timedelta(days=8), tick=False):
        portfolio_summary_refresh(scope=scope, last_day=date(2026, 7, 6))
    with time_machine.travel(NOW, tick=False):
        portfolio_summary_refresh(scope=scope, last_day=TODAY)
        assert portfolio_summaries_prune() == 1
    assert list(PortfolioSummary.objects.values_list("last_day", flat=True)) == [TODAY]
