from .conftest import login, screenshot


def test_each_role_lands_on_its_workspace_after_login(page, collector, manager, auditor):
    for user, heading in [
        (collector, "Work queue"),
        (manager, "Team dashboard"),
        (auditor, "Contact history"),
    ]:
        login(page, user.username)
        assert page.locator("h1").first.inner_text() == heading
        screenshot(page, f"landing-{user.role}")
        page.click("text=Log out")
        page.wait_for_url("**/accounts/login/")
