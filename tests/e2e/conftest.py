"""The real server with the demo site, and headless Chromium (Debian's: browsers cannot be
downloaded here). Skipped when Chromium or the built dashboard is absent, unless
CSM_REQUIRE_SERVICES=1, when that is a failure."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
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
OPERATOR = ("e2e-operator", "a-long-enough-e2e-password")
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
    if not CHROMIUM.is_file():
        _unavailable(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    if not (WEB_DIST / "index.html").is_file():
        _unavailable("the dashboard is not built (src/csm/web_dist): run `make web`")
    from playwright.sync_api import sync_playwright

    os.environ["CSM_SECRET_KEY"] = TEST_SECRET
    folder = tmp_path_factory.mktemp("e2e") / "scheveningen"
    shutil.copytree(DEMO_SITE, folder)
    tune_demo_copy(folder)
    runtime = build_runtime([folder], f"duckdb:{folder.parent / 'e2e.duckdb'}")
    UserDirectory(runtime.store).add(OPERATOR[0], Role.MUNICIPALITY, ["scheveningen"], OPERATOR[1])
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with serve_in_thread(create_app(runtime)) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            try:
                yield LiveDashboard(base_url, runtime, page)
            finally:
                browser.close()
            assert not errors, f"errors in the page: {errors}"
    finally:
        runtime.close()
