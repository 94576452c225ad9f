"""The dashboard's figures equal a direct computation over the same rows; drill-down lists the
cases behind a figure; the query count does not grow with the number of cases."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collections_app.models import (
    Case,
    ContactAttempt,
    Outcome,
    Payment,
    PromiseStatus,
    PromiseToPay,
    Reminder,
)
from manager.models import PortfolioSummary
from manager.selectors import DateRange, buckets, case_list, team_figures
from manager.selectors.cases import CaseFilters
from tests.factories import (
    CaseFactory,
    ComplianceDecisionFactory,
    ContactAttemptFactory,
    DebtFactory,
    PromiseFactory,
    UserFactory,
)

from .conftest import NOW

pytestmark = pytest.mark.django_db
PERIOD = DateRange(start=date(2026, 3, 1), end=date(2026, 3, 18))


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def build_portfolio(team, collector, teammate, *, cases_each: int = 3):  # type: ignore[no-untyped-def]
    """Cases, attempts, promises, payments, decisions and reminders spread in and out of the
    range, for two collectors."""
    made = []
    for user in (collector, teammate):
        for i in range(cases_each):
            debt = DebtFactory(days_past_due=15 + 40 * i, balance=Decimal("1000.00") * (i + 1))
            case = CaseFactory(team=team, assigned_to=user, debtor=debt.debtor, debts=[debt])
            made.append(case)
            outcomes = [Outcome.CONVERSATION, Outcome.NO_ANSWER, Outcome.VOICEMAIL]
            for k, day in enumerate((2, 16, 18)):
                ContactAttemptFactory(
                    case=case, actor=user, occurred_at=_at(day), outcome=outcomes[k]
                )
            ContactAttemptFactory(
                case=case,
                actor=user,
                occurred_at=_at(18, 9),
                outcome="conversation",
                person="tp:1",
            )
            ContactAttemptFactory(case=case, actor=user, occurred_at=_at(17), flagged=i == 0)
            ContactAttemptFactory(  # before the range: counts nowhere
                case=case, actor=user, occurred_at=datetime(2026, 2, 20, tzinfo=UTC)
            )
            PromiseToPay.objects.create(
                case=case,
                amount=Decimal("120.50"),
                due_date=date(2026, 3, 10),
                status=PromiseStatus.KEPT if i % 2 == 0 else PromiseStatus.BROKEN,
                created_by=user,
            )
            Payment.objects.create(
                case=case,
                debt=debt,
                amount=Decimal("75.25") * (i + 1),
                received_at=_at(11),
                external_reference=f"p-{case.pk}",
            )
            Payment.objects.create(  # outside the range
                case=case,
                debt=debt,
                amount=Decimal("9.99"),
                received_at=_at(1) - timedelta(days=2),
                external_reference=f"old-{case.pk}",
            )
            ComplianceDecisionFactory(debtor=case.debtor, actor=user, allowed=i == 1)
            Reminder.objects.create(
                case=case,
                kind="promise_due",
                due_at=_at(12),
                status="sent" if i else "cancelled",
                idempotency_key=f"r-{case.pk}",
            )
    return made


def expected_for(user, period: DateRange, today: date) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The same figures, computed by walking the rows in Python."""
    start, end = period.start_at, period.end_before
    week_start = datetime.combine(
        today - timedelta(days=today.weekday()), datetime.min.time(), tzinfo=UTC
    )
    day_start = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    attempts = [a for a in ContactAttempt.objects.all() if a.actor_id == user.pk]
    in_range = [a for a in attempts if start <= a.occurred_at < end]
    rpc = [a for a in in_range if a.outcome == "conversation" and a.person == "debtor"]
    promises = [p for p in PromiseToPay.objects.all() if p.created_by_id == user.pk]
    made = [p for p in promises if start <= p.created_at < end]
    due = [p for p in promises if period.start <= p.due_date <= period.end]
    payments = [
        p
        for p in Payment.objects.select_related("case")
        if p.case.assigned_to_id == user.pk and start <= p.received_at < end
    ]
    from compliance.models import ComplianceDecision

    return {
        "active_cases": sum(
            1 for c in Case.objects.all() if c.assigned_to_id == user.pk and c.status == "active"
        ),
        "attempts": len(in_range),
        "rpc": len(rpc),
        "attempts_today": sum(1 for a in attempts if day_start <= a.occurred_at),
        "attempts_week": sum(1 for a in attempts if week_start <= a.occurred_at),
        "rpc_week": sum(
            1
            for a in attempts
            if week_start <= a.occurred_at and a.outcome == "conversation" and a.person == "debtor"
        ),
        "flagged": sum(1 for a in in_range if a.flagged),
        "promises": len(made),
        "promised_amount": sum((p.amount for p in made), Decimal(0)),
        "promises_kept": sum(1 for p in due if p.status == "kept"),
        "promises_broken": sum(1 for p in due if p.status == "broken"),
        "collected": sum((p.amount for p in payments), Decimal(0)),
        "blocks": sum(
            1
            for d in ComplianceDecision.objects.all()
            if d.actor_id == user.pk and not d.allowed and start <= d.created_at < end
        ),
    }


def test_figures_equal_a_direct_computation(frozen, manager, collector, teammate, team):
    build_portfolio(team, collector, teammate)
    rows = {
        r.collector.username: r for r in team_figures(user=manager, period=PERIOD, today=NOW.date())
    }
    assert set(rows) == {"alice", "bob"}
    for user in (collector, teammate):
        row = rows[user.username]
        expected = expected_for(user, PERIOD, NOW.date())
        for key, value in expected.items():
            assert getattr(row, key) == value, key
        assert row.capacity == team.case_capacity
    alice = rows["alice"]
    # Sanity: the fixture really exercises the figures (a test that cannot fail is worse).
    assert alice.attempts == 15 and alice.rpc == 3 and alice.flagged == 1
    assert alice.contact_rate == Decimal("20.0")
    assert alice.kept_rate == Decimal("66.7")
    assert alice.collected == Decimal("451.50")


def test_collected_nets_out_reversals(frozen, manager, collector, team, case):
    debt = case.debts.first()
    original = Payment.objects.create(
        case=case, debt=debt, amount=Decimal("100.00"), received_at=_at(5), external_reference="a"
    )
    Payment.objects.create(
        case=case,
        debt=debt,
        amount=Decimal("100.00"),
        received_at=_at(6),
        reverses=original,
        external_reference="a-rev",
    )
    rows = team_figures(user=manager, period=PERIOD, today=NOW.date())
    assert rows[0].collected == Decimal("0.00")


def test_target_is_prorated_over_the_range(frozen, manager, collector):
    collector.monthly_target = Decimal("31000.00")
    collector.save()
    rows = team_figures(user=manager, period=PERIOD, today=NOW.date())
    assert rows[0].target == Decimal("18000.00")  # 18 of March's 31 days


def test_buckets_equal_a_direct_computation(frozen, manager, collector, teammate, team, other_case):
    build_portfolio(team, collector, teammate)
    by_bucket = {b.bucket: b for b in buckets(user=manager)}
    team_cases = [c for c in Case.objects.prefetch_related("debts") if c.team_id == team.pk]
    for bucket, row in by_bucket.items():
        debts = {d.pk: d for c in team_cases for d in c.debts.all() if d.bucket == bucket}
        assert row.cases == sum(
            1 for c in team_cases if any(d.bucket == bucket for d in c.debts.all())
        )
        assert row.balance == sum((d.balance for d in debts.values()), Decimal(0))
    assert sum(b.cases for b in by_bucket.values()) == 6  # the other team's case is not there


def test_drill_down_lists_the_cases_behind_a_figure(frozen, manager, collector, teammate, team):
    made = build_portfolio(team, collector, teammate)
    flagged = case_list(
        user=manager, filters=CaseFilters(collector=collector.pk, metric="flagged"), period=PERIOD
    )
    expected = {a.case_id for a in ContactAttempt.objects.filter(actor=collector, flagged=True)}
    assert set(flagged.values_list("pk", flat=True)) == expected and expected
    m2 = case_list(user=manager, filters=CaseFilters(bucket="M2", status="open"), period=PERIOD)
    assert set(m2.values_list("pk", flat=True)) == {
        c.pk for c in made if c.debts.filter(bucket="M2").exists()
    }


def test_dashboard_page_shows_the_figures_and_links(
    frozen, client, manager, collector, teammate, team
):
    build_portfolio(team, collector, teammate)
    client.force_login(manager)
    response = client.get(
        reverse("manager:dashboard"), {"start": "2026-03-01", "end": "2026-03-18"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="manager-chart-data"' in body
    assert "metric=flagged" in body and f"collector={collector.pk}" in body
    # The chart data is a JSON script, not an inline script (CSP).
    assert "<script>" not in body


def test_dashboard_date_range_changes_the_figures(frozen, manager, collector, teammate, team):
    build_portfolio(team, collector, teammate)
    narrow = DateRange(start=date(2026, 3, 16), end=date(2026, 3, 18))
    rows = {
        r.collector.username: r for r in team_figures(user=manager, period=narrow, today=NOW.date())
    }
    assert rows["alice"].attempts == expected_for(collector, narrow, NOW.date())["attempts"] == 12
    assert rows["alice"].collected == 0


def test_bad_range_is_refused_with_a_message(frozen, client, manager):
    client.force_login(manager)
    response = client.get(
        reverse("manager:dashboard"), {"start": "2026-03-10", "end": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_csv_export_has_one_row_per_collector(frozen, client, manager, collector, teammate, team):
    build_portfolio(team, collector, teammate)
    client.force_login(manager)
    response = client.get(
        reverse("manager:dashboard_csv"), {"start": "2026-03-01", "end": "2026-03-18"}
    )
    assert response.status_code == 200
    lines = response.content.decode().strip().splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("alice,US Team,3,300,")


def test_dashboard_does_not_show_another_teams_collectors(
    frozen, client, manager, other_collector, other_case
):
    client.force_login(manager)
    body = client.get(reverse("manager:dashboard")).content.decode()
    assert 'data-collector="lina"' not in body


@pytest.mark.parametrize("persona", ["collector", "auditor", "teammate"])
def test_other_roles_get_404_on_every_manager_page(client, persona, request, case):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for name, kwargs in [
        ("manager:dashboard", {}),
        ("manager:dashboard_csv", {}),
        ("manager:cases", {}),
        ("manager:approvals", {}),
        ("manager:escalations", {}),
        ("manager:incentives", {}),
        ("manager:strategies", {}),
        ("manager:case_score", {"case_id": case.pk}),
        ("manager:case_escalation", {"case_id": case.pk}),
    ]:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, name


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("manager:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_sees_every_team(frozen, client, admin_user, collector, other_collector):
    client.force_login(admin_user)
    body = client.get(reverse("manager:dashboard")).content.decode()
    assert 'data-collector="alice"' in body and 'data-collector="lina"' in body


def _grow(team, collectors, n):  # type: ignore[no-untyped-def]
    for i in range(n):
        user = collectors[i % len(collectors)]
        case = CaseFactory(team=team, assigned_to=user)
        ContactAttemptFactory(case=case, actor=user, occurred_at=NOW - timedelta(hours=1))
        PromiseFactory(case=case, created_by=user)
        Payment.objects.create(
            case=case,
            debt=case.debts.first(),
            amount=Decimal("10.00"),
            received_at=NOW - timedelta(days=1),
            external_reference=f"g-{case.pk}",
        )


def test_dashboard_queries_do_not_grow_with_cases(
    frozen, client, manager, collector, teammate, team, django_assert_max_num_queries
):
    _grow(team, [collector, teammate], 10)
    client.force_login(manager)
    url = reverse("manager:dashboard")
    client.get(url)  # warm caches (session, content types)
    # Every figure computed for the request: no portfolio summary to read.
    PortfolioSummary.objects.all().delete()
    with CaptureQueriesContext(connection) as ten:
        assert client.get(url).status_code == 200
    _grow(team, [collector, teammate], 90)
    UserFactory(username="carol", team=team)  # and one more collector: still one query each
    PortfolioSummary.objects.all().delete()
    with django_assert_max_num_queries(len(ten.captured_queries)):
        assert client.get(url).status_code == 200


def test_case_list_queries_do_not_grow_with_rows(
    frozen, client, manager, collector, team, django_assert_max_num_queries
):
    _grow(team, [collector], 5)
    client.force_login(manager)
    url = reverse("manager:cases")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _grow(team, [collector], 40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('name="cases"') == 45


def test_strategies_page_shows_the_default_strategies_and_bands(client, manager):
    import importlib

    from django.apps import apps

    # The data migration's defaults (run here too: a flushed test database has lost them).
    importlib.import_module("manager.migrations.0002_default_strategies").create(apps, None)
    client.force_login(manager)
    body = client.get(reverse("manager:strategies")).content.decode()
    assert "High risk: intensive calling" in body and "Severe risk: early escalation" in body
    assert "at most 160" in body
