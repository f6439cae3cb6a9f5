"""A busy afternoon on the real demo site, for walking the whole API: live counts since the
morning, a forecast that turns every zone red, and the alerts and advice that follow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from csm.advice.engine import AdviceEngine
from csm.clock import FixedClock
from csm.demo.runner import backfill_until
from csm.runtime import Runtime, build_runtime
from csm.synthetic.day import DaySimulator

DEMO_SITE = Path(__file__).resolve().parents[2] / "sites" / "scheveningen"
SITE_ID = "scheveningen"
AFTERNOON = datetime(2026, 7, 18, 14, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def red_forecast(runtime: Runtime, issued_at: datetime) -> pd.DataFrame:
    """Every zone heading far beyond red within the hour (so every zone has alerts and advice)."""
    site = runtime.sites[SITE_ID].site
    rows = []
    for zone in site.zones.values():
        crowded = zone.thresholds.red * zone.walkable_area_m2 * 1.5
        for step in range(1, 9):
            p50 = crowded * min(1.0, step / 4)
            rows.append((zone.id, issued_at + timedelta(minutes=15 * step), p50 * 0.85, p50, p50 * 1.15))
    frame = pd.DataFrame(rows, columns=["zone_id", "ts", "p10", "p50", "p90"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


@pytest.fixture(scope="package")
def busy_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    path = tmp_path_factory.mktemp("busy-demo") / "csm.duckdb"
    runtime = build_runtime([DEMO_SITE], f"duckdb:{path}", clock=FixedClock(AFTERNOON))
    site_runtime = runtime.sites[SITE_ID]
    backfill_until(site_runtime, DaySimulator(site_runtime.site), AFTERNOON)
    site_runtime.picture.refresh()
    runtime.store.write_forecast(SITE_ID, AFTERNOON, red_forecast(runtime, AFTERNOON))
    engine = AdviceEngine.for_site(runtime, site_runtime)
    engine.evaluate(AFTERNOON)
    yield runtime
    runtime.close()
