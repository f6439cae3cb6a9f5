"""The transit disruptions block of the sources panel, in headless Chromium, for each role that
sees the picture, at desktop, small laptop and phone (touch) sizes; screenshots in test-artifacts."""

from __future__ import annotations

import pytest

from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from tests.e2e.conftest import ARTIFACTS, LiveDashboard

VIEWPORTS = {"desktop": (1600, 1000, False), "laptop": (1024, 768, False), "phone": (390, 844, True)}
ROLES = [Role.MUNICIPALITY, Role.POLICE, Role.VIEWER]
PASSWORD = "a-long-enough-e2e-password"


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_disruption_shown_in_the_sources_panel(live_dashboard: LiveDashboard, role: Role) -> None:
    user = f"disruptions-{role.value}"
    UserDirectory(live_dashboard.runtime.store).add(user, role, ["scheveningen"], PASSWORD)
    browser = live_dashboard.page.context.browser
    assert browser is not None
    for name, (width, height, touch) in VIEWPORTS.items():
        context = browser.new_context(viewport={"width": width, "height": height}, has_touch=touch, is_mobile=touch)
        page = context.new_page()
        try:
            page.goto(f"{live_dashboard.base_url}/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            item = page.wait_for_selector("#sources-panel li[data-disruption=HTM-2026-0718-11]", timeout=40_000)
            assert item is not None
            text = item.inner_text()
            assert "Tram 11 rijdt niet naar Scheveningen Haven" in text and "detour" in text
            assert "haven" in text  # the zones of the stop tram 11 no longer serves
            item.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f"disruptions-{role.value}-{name}.png"))
        finally:
            context.close()
