"""The two-step log-in in a real browser: enrol from the QR page, then verify next time."""

import base64

from django_otp.oath import TOTP

from .conftest import login


def code_for(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def test_manager_enrols_then_verifies_with_a_code(page, manager, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["manager", "auditor", "admin"]
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login(page, "morgan")
    assert "/accounts/2fa/setup/" in page.url
    assert page.locator("img[src^='data:image/svg+xml']").evaluate("i => i.naturalWidth") > 0
    page.click("summary")
    secret = page.locator("details code").first.inner_text()
    page.fill("#id_code", code_for(secret))
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "Team dashboard"

    page.click("text=Log out")
    page.wait_for_url("**/accounts/login/")
    login(page, "morgan")
    assert "/accounts/2fa/verify/" in page.url
    page.fill("#id_code", "000000")
    page.click("main button[type=submit]")
    assert page.locator(".error").count() == 1
    assert violations == []
