"""A small readable site for the advice tests: two boulevard zones, a beach, a tram stop."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from csm.site.loader import load_site
from csm.site.model import Site
from csm.topics import BusMessage, check_message
from tests.conftest import write_site

NOW = datetime(2026, 7, 18, 11, 0, tzinfo=UTC)  # 13:00 in Scheveningen

PLAYBOOK: dict[str, Any] = {
    "settings": {"min_probability": 0.3, "horizon_hours": 6, "upcoming_minutes": 30},
    "measures": [
        {"id": "city-hosts", "level": "yellow", "zones": ["boulevard"], "measure": "City hosts",
         "owner": "municipality", "lead_time_minutes": 30},
        {"id": "traffic-controllers", "level": "orange", "zones": ["boulevard"],
         "measure": "Traffic controllers", "owner": "municipality", "lead_time_minutes": 45},
        {"id": "extra-trams", "level": "orange", "zones": ["noord"], "measure": "Extra trams",
         "owner": "transport_operator", "lead_time_minutes": 60},
        {"id": "police", "level": "red", "zones": ["boulevard"], "measure": "Police officers",
         "owner": "police", "lead_time_minutes": 60},
        {"id": "boa", "level": "red", "zones": ["boulevard"], "measure": "Enforcement officers (BOA)",
         "owner": "municipality", "lead_time_minutes": 30},
        {"id": "close-access", "level": "red", "zones": ["zuid"], "measure": "Close access route",
         "owner": "police", "lead_time_minutes": 15},
    ],
}

SITE: dict[str, Any] = {
    "id": "mini",
    "name": "Mini boulevard",
    "timezone": "Europe/Amsterdam",
    "sensors": [
        {"id": "cam-zuid", "kind": "area_counter", "zone": "zuid", "interval_seconds": 60},
        {"id": "cam-noord", "kind": "area_counter", "zone": "noord", "interval_seconds": 60},
    ],
    "playbook": PLAYBOOK,
}
# Squares of about 7,600 m² side by side (tests.conftest.write_site), west to east.
ZONES: list[dict[str, Any]] = [
    {"id": "zuid", "name": "Boulevard Zuid", "walkable_area_m2": 1000, "group": "boulevard", "kind": "boulevard"},
    {"id": "noord", "name": "Boulevard Noord", "walkable_area_m2": 1000, "group": "boulevard", "kind": "boulevard"},
    {"id": "strand", "name": "Strand", "walkable_area_m2": 5000, "group": "beach", "kind": "beach"},
    {"id": "tram", "name": "Tramhalte", "walkable_area_m2": 500, "kind": "tram_stop"},
]


def make_site(folder: Path, playbook: Any = PLAYBOOK) -> Path:
    site = copy.deepcopy(SITE)
    site["playbook"] = copy.deepcopy(playbook)
    return write_site(folder, site, copy.deepcopy(ZONES))


@pytest.fixture
def mini_dir(tmp_path: Path) -> Path:
    return make_site(tmp_path / "mini")


@pytest.fixture
def mini_site(mini_dir: Path) -> Site:
    return load_site(mini_dir)


def forecast(zone_p50: dict[str, list[float]], start: datetime = NOW, spread: float = 0.15) -> pd.DataFrame:
    """Quarter-hourly steps after `start`; p10/p90 at ±spread around p50."""
    rows = []
    for zone_id, values in zone_p50.items():
        for i, p50 in enumerate(values, start=1):
            rows.append((zone_id, start + timedelta(minutes=15 * i), p50 * (1 - spread), p50, p50 * (1 + spread)))
    frame = pd.DataFrame(rows, columns=["zone_id", "ts", "p10", "p50", "p90"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


class Recorder:
    """A bus that keeps what was published (the alert book publishes from worker threads)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Any]] = []

    def publish(self, topic: str, message: BusMessage) -> None:
        check_message(topic, message)  # as the real buses do
        self.messages.append((topic, message))

    def subscribe(self, topic: str) -> Any:
        raise NotImplementedError


@pytest.fixture
def mini_runtime(mini_dir: Path, tmp_path: Path) -> Iterator[Runtime]:
    runtime = build_runtime([mini_dir], f"duckdb:{tmp_path / 'csm.duckdb'}", clock=FixedClock(NOW))
    yield runtime
    runtime.close()


def observe(runtime: Runtime, **occupancy: float) -> None:
    """Counts for the minute before the clock's now (coverage 1: occupancy as seen), then refresh."""
    sr = runtime.sites["mini"]
    start = runtime.clock.now() - timedelta(minutes=1)
    items = [{"sensor_id": f"cam-{zone}", "interval_start": start.isoformat(), "interval_seconds": 60,
              "counts": {"occupancy": value}} for zone, value in occupancy.items()]
    report = sr.ingest.ingest_items(items, "test")
    assert not report.rejected, report.rejected
    sr.picture.refresh()
