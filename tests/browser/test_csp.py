"""In a real browser: our pages and the Swagger UI run under the CSP without a violation."""

from tests.factories import CaseFactory, ContactPointFactory

from .conftest import login


def watch_csp(pg) -> list[str]:  # type: ignore[no-untyped-def]
    violations: list[str] = []
    pg.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def test_collector_pages_raise_no_csp_violation(page, collector, team):
    case = CaseFactory(team=team, assigned_to=collector)
    ContactPointFactory(debtor=case.debtor)
    violations = watch_csp(page)
    login(page, "alice")
    page.goto(f"{page.base_url}/queue/")
    page.wait_for_load_state("networkidle")
    page.goto(f"{page.base_url}/cases/{case.pk}/")
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_swagger_ui_renders_under_the_csp(page):
    violations = watch_csp(page)
    page.goto(f"{page.base_url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30000)
    assert page.locator(".swagger-ui .opblock").count() > 5
    assert violations == []
