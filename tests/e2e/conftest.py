"""The real server with the demo site, and headless Chromium (Debian's: browsers cannot be
downloaded here). Skipped when Chromium or the built dashboard is absent, unless
CSM_REQUIRE_SERVICES=1, when that is a failure."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from csm.api.app import WEB_DIST, create_app
from csm.api.live_server import serve_in_thread
from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from csm.runtime import Runtime, build_runtime
from tests.conftest import DEMO_SITE, REPO, REQUIRE_SERVICES, TEST_SECRET

CHROMIUM = Path(os.environ.get("CSM_CHROMIUM", "/usr/bin/chromium"))
# Software WebGL (SwiftShader through ANGLE); no network chatter from the browser itself.
CHROMIUM_ARGS = [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
OPERATOR = ("e2e-operator", "a-long-enough-e2e-password")  # = e2e-<account>, E2E_PASSWORD
# The camera whose counts the tests change: it reports every 10 s here, so a new (complete) interval
# is never more than 10 s away; and data stays fresh for the whole run (30 intervals).
FAST_CAMERA = "cam-gevers-deynootplein"
FAST_SECONDS = 10


def tune_demo_copy(folder: Path) -> None:
    path = folder / "site.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["defaults"]["stale_after_intervals"] = 30
    for sensor in config["sensors"]:
        if sensor["id"] == FAST_CAMERA:
            sensor["interval_seconds"] = FAST_SECONDS
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


# Accounts and devices the role-by-role browser tests share.
E2E_PASSWORD = "a-long-enough-e2e-password"
DESKTOP = {"viewport": {"width": 1600, "height": 1000}}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
ZoneScopes = dict[str, list[str]] | None


def log_in(browser: Any, base_url: str, user: str, device: dict[str, Any]) -> Any:
    """A fresh browser context (own cookies) on `device`, `user` logged in through the login form
    with E2E_PASSWORD; the page keeps its script errors in `page.errors`."""
    page = browser.new_context(**device).new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", E2E_PASSWORD)
    page.click("button[type=submit]")
    return page


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CSM_REQUIRE_SERVICES=1: browser tests must run)")
    pytest.skip(reason)


@dataclass
class LiveDashboard:
    base_url: str
    runtime: Runtime
    page: Any  # playwright.sync_api.Page


@pytest.fixture(scope="module")
def live_dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDashboard]:
    operator = {OPERATOR[0].removeprefix("e2e-"): (Role.MUNICIPALITY, None)}
    with demo_with_accounts(tmp_path_factory, "e2e", operator) as (base_url, runtime, browser):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield LiveDashboard(base_url, runtime, page)
        assert not errors, f"errors in the page: {errors}"


@contextmanager
def demo_with_accounts(
    tmp_path_factory: pytest.TempPathFactory, name: str, accounts: Mapping[str, tuple[Role, ZoneScopes]],
    tune: bool = True,
) -> Iterator[tuple[str, Runtime, Any]]:
    """A copy of the demo site on a DuckDB file, one account `e2e-<name>` per entry (password
    E2E_PASSWORD, optional zone scopes), the real server on a loopback port and Debian's Chromium:
    yields (base URL, runtime, browser). `tune` gives the copy the fast camera and long freshness."""
    if not CHROMIUM.is_file():
        _unavailable(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    if not (WEB_DIST / "index.html").is_file():
        _unavailable("the dashboard is not built (src/csm/web_dist): run `make web`")
    from playwright.sync_api import sync_playwright

    os.environ["CSM_SECRET_KEY"] = TEST_SECRET
    folder = tmp_path_factory.mktemp(name) / "scheveningen"
    shutil.copytree(DEMO_SITE, folder)
    if tune:
        tune_demo_copy(folder)
    runtime = build_runtime([folder], f"duckdb:{folder.parent / f'{name}.duckdb'}")
    users = UserDirectory(runtime.store)
    for account, (role, zones) in accounts.items():
        users.add(f"e2e-{account}", role, ["scheveningen"], E2E_PASSWORD, zones)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with serve_in_thread(create_app(runtime)) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield base_url, runtime, browser
            finally:
                browser.close()
    finally:
        runtime.close()
