"""A collector's day in the browser: the queue, a case, a call through the gate with a
promise, the post-conversation block, an out-of-hours block, a repayment plan, Chinese."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from collections_app.models import CaseStatus, PlanStatus, PromiseToPay, RepaymentPlan
from tests.factories import CaseFactory, ContactPointFactory, DebtFactory, DebtorFactory

from .conftest import login, screenshot

# Tuesday 10 March 2026, 15:00 UTC: 11:00 in New York (EDT), 05:00 in Honolulu.
INSTANT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def workload(collector, team):
    ny = DebtorFactory(
        full_name="Nora Whitfield",
        region="NY",
        city="Albany",
        employer="Hudson Valley Logistics",
        monthly_income=Decimal("4000.00"),
        monthly_expenses=Decimal("3000.00"),
        risk_score=80,
    )
    ContactPointFactory(debtor=ny, value="+15185550142")
    ny_case = CaseFactory(
        team=team,
        assigned_to=collector,
        debtor=ny,
        debts=[DebtFactory(debtor=ny, balance=Decimal("4200.00"), days_past_due=75)],
    )
    hi = DebtorFactory(full_name="Kai Makoa", region="HI", city="Honolulu", risk_score=20)
    ContactPointFactory(debtor=hi, value="+18085550177")
    hi_case = CaseFactory(
        team=team, assigned_to=collector, debtor=hi, debts=[DebtFactory(debtor=hi)]
    )
    return ny_case, hi_case


def panel(page, value):  # type: ignore[no-untyped-def]
    return page.locator(".cp-panel", has_text=value)


def test_collector_works_a_case_through_the_gate(page, collector, workload):
    ny_case, hi_case = workload
    with time_machine.travel(INSTANT, tick=True):
        login(page, collector.username)
        assert page.locator("h1").first.inner_text() == "Work queue"
        rows = page.locator("table.queue tbody tr")
        assert rows.count() == 2
        assert "Nora Whitfield" in rows.first.inner_text()  # higher risk first
        screenshot(page, "collector-queue")

        # Keyboard: j selects the first row, Enter opens it.
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/cases/{ny_case.pk}/")
        assert "Nora Whitfield" in page.locator("h1").inner_text()
        assert "Hudson Valley Logistics" in page.content()

        # Call: the gate allows it; record a conversation with a promise to pay.
        cp = panel(page, "+15185550142")
        cp.get_by_role("button", name="Call").click()
        form = cp.locator("form.outcome-form")
        form.wait_for()
        assert "Call allowed" in cp.inner_text()
        screenshot(page, "collector-case-call")
        form.locator("select[name=outcome]").select_option("conversation")
        form.locator("input[name=promise_amount]").fill("300.00")
        form.locator("input[name=promise_due_date]").fill("2026-03-20")
        form.get_by_role("button", name="Save outcome").click()
        page.locator(".messages li.success", has_text="promise to pay recorded").wait_for()
        promise = PromiseToPay.objects.get(case=ny_case)
        assert promise.amount == Decimal("300.00")
        ny_case.refresh_from_db()
        assert ny_case.status == CaseStatus.PROMISE_TO_PAY

        # Calling again the same day: Regulation F's 7-day wait after a conversation.
        cp = panel(page, "+15185550142")
        cp.get_by_role("button", name="Call").click()
        blocked = cp.locator(".gate-result.blocked")
        blocked.wait_for()
        text = blocked.inner_text()
        assert "wait 7 days after a conversation" in text
        assert blocked.locator("[data-code=POST_CONVERSATION_WAIT]").count() >= 1
        assert "Next permitted time" in text
        assert "America/New_York" in text
        screenshot(page, "collector-case-blocked")

        # Build a repayment plan from the debtor's capacity and save it.
        page.locator("summary", has_text="Build a repayment plan").click()
        page.get_by_role("button", name="Propose installments").click()
        builder = page.locator("form.plan-builder")
        builder.wait_for()
        assert "Proposed installment" in builder.inner_text()
        screenshot(page, "collector-case-plan-builder")
        builder.get_by_role("button", name="Save plan").click()
        page.locator(".messages li.success", has_text="saved and active").wait_for()
        plan = RepaymentPlan.objects.get(case=ny_case)
        assert plan.status == PlanStatus.ACTIVE
        assert plan.total_amount == Decimal("4200.00")
        screenshot(page, "collector-case")

        # Out of hours: 05:00 in Honolulu.
        page.goto(f"{page.base_url}/cases/{hi_case.pk}/")
        cp = panel(page, "+18085550177")
        cp.get_by_role("button", name="Call").click()
        blocked = cp.locator(".gate-result.blocked")
        blocked.wait_for()
        assert blocked.locator("[data-code=OUTSIDE_CONTACT_HOURS]").count() >= 1
        assert "outside the permitted contact hours" in blocked.inner_text()
        assert "Pacific/Honolulu" in blocked.inner_text()
        screenshot(page, "collector-case-out-of-hours")

        # Chinese.
        page.select_option("select[name=language]", "zh-hans")
        page.wait_for_load_state("networkidle")
        assert "工作队列" in page.locator("nav.mainnav").inner_text()
        assert "时间线" in page.content()
        screenshot(page, "collector-case-zh")
        page.goto(f"{page.base_url}/queue/")
        assert page.locator("h1").first.inner_text() == "工作队列"
        screenshot(page, "collector-queue-zh")


def test_queue_and_case_work_at_mobile_width(page, collector, workload):
    ny_case, _hi = workload
    page.set_viewport_size({"width": 390, "height": 844})
    with time_machine.travel(INSTANT, tick=True):
        login(page, collector.username)
        screenshot(page, "collector-queue-mobile")
        # Search narrows the queue in place (htmx), and the address keeps the filter.
        page.fill("input[name=q]", "Makoa")
        expect(page.locator("table.queue tbody tr")).to_have_count(1)
        assert "Kai Makoa" in page.locator("table.queue").inner_text()
        assert "q=Makoa" in page.url
        page.fill("input[name=q]", "")
        expect(page.locator("table.queue tbody tr")).to_have_count(2)
        page.locator("a.case-link", has_text="Nora Whitfield").click()
        page.wait_for_url(f"**/cases/{ny_case.pk}/")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, width
        screenshot(page, "collector-case-mobile")
