"""Fixtures for source tests: a site wired to the fixture feeds, a real runtime, a real HTTP server."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from csm.site.loader import load_site
from csm.site.model import Site
from csm.sources.coordinator import SourceCoordinator
from csm.sources.registry import configured_sources
from tests.conftest import DEMO_SITE

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STOPS = ["2232101", "2232102", "2232201", "2232202"]


def fixture_sources(base: str = "file:feeds") -> dict[str, Any]:
    """Every connector against the fixtures, no replay (the clock is the fixtures' noon)."""
    parking = [
        {"id": gid, "dynamic_url": f"{base}/parking/{gid}-dynamic.json",
         "static_url": f"{base}/parking/{gid}-static.json", "zones": zones}
        for gid, zones in (("kurhaus", ["gevers-deynootplein", "boulevard-kurhaus"]),
                           ("palace-promenade", ["boulevard-midden"]), ("haven", ["haven"]))
    ]
    fast = {"retries": 0, "backoff_seconds": 0.0}
    return {
        "gtfs": {"url": f"{base}/gtfs", "routes": ["1", "9", "11"], **fast},
        "gtfs_realtime": {"url": f"{base}/tripupdates.pb", "stops": STOPS, **fast},
        "vehicles": {"kind": "gtfs_realtime", "url": f"{base}/vehiclepositions.pb", "stops": STOPS, **fast},
        "parking": {"kind": "parking_spdp", "facilities": parking, **fast},
        "traffic": {"kind": "traffic_ndw", "url": f"{base}/ndw_measurements.xml",
                    "sites": {"GDH01_SCHEVENINGSEWEG_IN": "Scheveningseweg", "GDH01_ZWOLSESTRAAT_IN": "Zwolsestraat"},
                    **fast},
        "weather": {"kind": "weather_buienradar", "url": f"{base}/buienradar.json", "station_id": 6330, **fast},
        "weather_forecast": {"kind": "weather_forecast_buienradar", "url": f"{base}/buienradar_forecast.json", **fast},
        "visitors": {"url": f"{base}/visitors.json", **fast, "areas": {
            "resono-strand-zuid": "est-strand-zuid", "resono-strand-kurhaus": "est-strand-kurhaus",
            "resono-haven": "est-haven"}},
        "events": {"url": f"{base}/events.yaml", **fast},
        "holidays": {"kind": "holidays_nl", "school_region": "Midden", **fast},
    }


def write_sources(folder: Path, sources: dict[str, Any]) -> Path:
    config = yaml.safe_load((folder / "site.yaml").read_text(encoding="utf-8"))
    config["sources"] = sources
    (folder / "site.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture
def source_site(tmp_path: Path) -> Path:
    """The demo site with the test fixtures as its feeds folder (copied: tests may break them)."""
    target = tmp_path / "scheveningen"
    shutil.copytree(DEMO_SITE, target, ignore=shutil.ignore_patterns("feeds"))
    shutil.copytree(FIXTURES, target / "feeds")
    return write_sources(target, fixture_sources())


@pytest.fixture
def runtime(source_site: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    rt = build_runtime([source_site], f"duckdb:{tmp_path / 'csm.duckdb'}", clock=clock)
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def site() -> Site:
    """The demo site, loaded (connector tests parse against it)."""
    return load_site(DEMO_SITE)


def coordinator_of(rt: Runtime, sleeps: list[float] | None = None) -> SourceCoordinator:
    site_runtime = rt.sites["scheveningen"]
    record = sleeps.append if sleeps is not None else (lambda _s: None)
    return SourceCoordinator(site_runtime, rt.clock, configured_sources(site_runtime.site), sleep=record)


class FixtureHandler(SimpleHTTPRequestHandler):
    """Serves the fixtures; /fail/N/... answers 500 the first N times, /slow/... sleeps 2 s."""

    failures: ClassVar[dict[str, int]] = {}

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def do_GET(self) -> None:
        parts = self.path.split("/")
        if len(parts) > 3 and parts[1] == "fail":
            seen = self.failures.get(self.path, 0)
            self.failures[self.path] = seen + 1
            if seen < int(parts[2]):
                self.send_error(500, "upstream trouble")
                return
            self.path = "/" + "/".join(parts[3:])
        elif len(parts) > 2 and parts[1] == "slow":
            time.sleep(2)
            self.path = "/" + "/".join(parts[2:])
        super().do_GET()


@pytest.fixture
def http_fixtures() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving tests/sources/fixtures."""
    FixtureHandler.failures = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(FixtureHandler, directory=str(FIXTURES)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
