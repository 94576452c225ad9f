"""In a real browser: our pages and the Swagger UI run under the CSP without a violation."""

import pytest

from tests.browser.conftest import chromium_browser, login, page  # noqa: F401  (fixtures)
from tests.factories import CaseFactory, ContactPointFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def watch_csp(pg) -> list[str]:  # type: ignore[no-untyped-def]
    violations: list[str] = []
    pg.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def test_collector_pages_raise_no_csp_violation(page, collector, team):  # noqa: F811
    case = CaseFactory(team=team, assigned_to=collector)
    ContactPointFactory(debtor=case.debtor)
    violations = watch_csp(page)
    login(page, "alice")
    page.goto(f"{page.base_url}/queue/")
    page.wait_for_load_state("networkidle")
    page.goto(f"{page.base_url}/cases/{case.pk}/")
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_swagger_ui_renders_under_the_csp(page):  # noqa: F811
    violations = watch_csp(page)
    page.goto(f"{page.base_url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30000)
    assert page.locator(".swagger-ui .opblock").count() > 5
    assert violations == []
