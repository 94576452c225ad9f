"""The manager's day in the browser: dashboard, date range, drill-down, bulk reassignment,
a settlement approval and an agency placement."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from collections_app.models import Case, Payment, PlanStatus, RepaymentPlan
from collections_app.services.plans import plan_create
from manager.models import Agency
from tests.factories import CaseFactory, ContactAttemptFactory, DebtFactory, PromiseFactory

from .conftest import login, screenshot


def _portfolio(team, collector, teammate):  # type: ignore[no-untyped-def]
    now = timezone.now()
    collector.monthly_target = Decimal("20000.00")
    collector.save()
    teammate.monthly_target = Decimal("15000.00")
    teammate.save()
    cases = []
    for i in range(8):
        user = collector if i % 2 == 0 else teammate
        debt = DebtFactory(days_past_due=10 + 25 * i, balance=Decimal("800.00") * (i + 1))
        case = CaseFactory(team=team, assigned_to=user, debtor=debt.debtor, debts=[debt])
        cases.append(case)
        for k in range(3):
            ContactAttemptFactory(
                case=case,
                actor=user,
                occurred_at=now - timedelta(hours=k + 1),
                outcome="conversation" if k == 0 else "no_answer",
            )
        PromiseFactory(case=case, created_by=user, amount=Decimal("150.00"))
        Payment.objects.create(
            case=case,
            debt=debt,
            amount=Decimal("120.00") * (i + 1),
            received_at=now,
            external_reference=f"web-{case.pk}",
        )
    for _ in range(2):
        CaseFactory(team=team, status="new")
    return cases


def test_manager_works_the_team_from_the_dashboard(page, manager, collector, teammate, team):
    cases = _portfolio(team, collector, teammate)
    login(page, "morgan")
    page.goto(f"{page.base_url}/manager/")
    assert page.locator("h1").first.inner_text() == "Team dashboard"
    page.wait_for_function(
        "() => document.querySelector('canvas[data-chart=collectors]').width > 0"
    )
    assert page.locator('#collector-table tr[data-collector="alice"]').count() == 1
    screenshot(page, "manager-dashboard")

    # Change the date range: a range before any activity shows no attempts.
    page.fill('input[name="start"]', "2026-01-01")
    page.fill('input[name="end"]', "2026-01-31")
    page.click("#period-form button[type=submit]")
    page.wait_for_url("**/manager/?start=2026-01-01&end=2026-01-31*")
    row = page.locator('#collector-table tr[data-collector="alice"]')
    assert row.locator('a[data-metric="attempts"]').inner_text() == "0"
    page.goto(f"{page.base_url}/manager/")

    # Drill down from alice's attempts to the cases behind them.
    page.locator('#collector-table tr[data-collector="alice"] a[data-metric="attempts"]').click()
    page.wait_for_url("**/manager/cases/?**metric=attempts**")
    alice_cases = {c.pk for c in cases if c.assigned_to_id == collector.pk}
    shown = {
        int(x)
        for x in page.locator("#case-table tr[data-case]").evaluate_all(
            "rows => rows.map(r => r.dataset.case)"
        )
    }
    assert shown == alice_cases
    screenshot(page, "manager-drilldown")

    # Bulk-reassign two of them to bob.
    moved = sorted(alice_cases)[:2]
    for pk in moved:
        page.check(f'#case-table tr[data-case="{pk}"] input[name="cases"]')
    page.select_option("#id_to_user", str(teammate.pk))
    page.fill("#id_reason", "Alice on leave")
    page.click("#reassign-form button[data-requires-selection]")
    page.wait_for_selector(".messages li.success")
    assert "2 cases reassigned." in page.locator(".messages").inner_text()
    assert set(Case.objects.filter(pk__in=moved).values_list("assigned_to_id", flat=True)) == {
        teammate.pk
    }
    screenshot(page, "manager-reassigned")


def test_manager_approves_a_settlement_and_places_a_case(page, manager, collector, team):
    case = CaseFactory(team=team, assigned_to=collector)
    first = timezone.localdate() + timedelta(days=7)
    plan = plan_create(
        case_id=case.pk,
        actor=collector,
        frequency="monthly",
        installments=[(first + timedelta(days=30 * i), Decimal("700.00")) for i in range(3)],
        discount_amount=Decimal("2100.00"),
    )
    assert plan.status == PlanStatus.PENDING_APPROVAL
    other = CaseFactory(team=team, assigned_to=collector)
    Agency.objects.create(name="Acme Recoveries", default_commission_pct=Decimal("25.00"))

    login(page, "morgan")
    page.goto(f"{page.base_url}/manager/approvals/")
    item = page.locator(f'article[data-plan="{plan.pk}"]')
    assert "Settlement" in item.inner_text()
    screenshot(page, "manager-approvals")
    item.locator('input[name="reason"]').fill("Documented hardship")
    item.locator('button[value="approve"]').click()
    page.wait_for_selector(".messages li.success")
    assert RepaymentPlan.objects.get(pk=plan.pk).status == PlanStatus.ACTIVE
    screenshot(page, "manager-approved")

    page.goto(f"{page.base_url}/manager/cases/{other.pk}/escalation/")
    page.select_option("#id_agency", label="Acme Recoveries")
    page.click("#agency-form button[type=submit]")
    page.wait_for_selector(".messages li.success")
    assert page.locator("#case-status").inner_text() == "With agency"
    assert Case.objects.get(pk=other.pk).status == "agency"
    screenshot(page, "manager-agency-placed")


def test_manager_approves_an_agency_escalation_and_reads_incentives(page, manager, collector, case):
    from manager.services.escalation import escalation_request

    Agency.objects.create(name="Northwind Collections")
    req = escalation_request(
        case_id=case.pk, kind="agency", actor=collector, reason="Debtor moved out of state"
    )
    login(page, "morgan")
    page.goto(f"{page.base_url}/manager/approvals/")
    item = page.locator(f'article[data-escalation="{req.pk}"]')
    item.locator('select[name="agency"]').select_option(label="Northwind Collections")
    item.locator('input[name="placed_on"]').fill("2026-11-28")
    item.locator('input[name="recall_on"]').fill("2027-05-28")
    item.locator('button[value="approve"]').click()
    page.wait_for_selector(".messages li.success")
    assert Case.objects.get(pk=case.pk).status == "agency"

    page.goto(f"{page.base_url}/manager/incentives/")
    assert page.locator('#incentive-table tr[data-collector="alice"]').count() == 1
    screenshot(page, "manager-incentives")
    # Browser tests flush the database, data migrations included: set a strategy up here.
    from manager.models import Strategy

    challenger = Strategy.objects.create(name="Letters first")
    Strategy.objects.update_or_create(
        segment="high",
        active=True,
        defaults={"name": "Calls first", "challenger": challenger, "challenger_pct": 20},
    )
    page.goto(f"{page.base_url}/manager/strategies/")
    assert "Letters first (20 %)" in page.locator("#strategy-table").inner_text()
    screenshot(page, "manager-strategies")
