"""The demo's hot Saturday: from the late-morning forecast, advice comes before the boulevard is red.

The whole chain on the real demo site: seeded history and weather → the global forecast model →
predicted crossings → ranked playbook measures, checked against the simulator's own truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from csm.advice.engine import AdviceEngine
from csm.advice.lifecycle import PREDICTED_CROSSING
from csm.advice.queries import advice_payload
from csm.runtime import Runtime
from csm.synthetic.day import DaySimulator
from tests.conftest import DEMO_DAY_LATE_MORNING, demo_morning

LATE_MORNING = DEMO_DAY_LATE_MORNING
ZONE = "boulevard-kurhaus"


@pytest.fixture(scope="module")
def hot_morning(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, DaySimulator]]:
    runtime, sim = demo_morning(tmp_path_factory.mktemp("demo") / "csm.duckdb")
    yield runtime, sim
    runtime.close()


def first_red(sim: DaySimulator, runtime: Runtime) -> datetime:
    zone = runtime.sites["scheveningen"].site.zones[ZONE]
    moment = LATE_MORNING
    while sim.truth(ZONE, moment) / zone.walkable_area_m2 < zone.thresholds.red:
        moment += timedelta(minutes=5)
        assert moment < LATE_MORNING + timedelta(hours=10), "the demo day never turns red"
    return moment


def test_red_is_predicted_before_it_happens(hot_morning: tuple[Runtime, DaySimulator]) -> None:
    runtime, sim = hot_morning
    site_runtime = runtime.sites["scheveningen"]
    now_level = {z["zone_id"]: z["level"] for z in site_runtime.picture.snapshot()[1]}
    assert now_level[ZONE] in ("green", "yellow")  # calm at 11:00 ...
    engine = AdviceEngine.for_site(runtime, site_runtime)
    raised = [a for event, a in engine.evaluate(LATE_MORNING) if event == "raised"]
    predicted = {(a.zone_id, a.level): a for a in raised if a.kind == PREDICTED_CROSSING}
    assert (ZONE, "red") in predicted  # ... but red is coming
    expected_at = predicted[(ZONE, "red")].expected_at
    assert expected_at is not None
    truly_red = first_red(sim, runtime)
    assert expected_at <= truly_red, "the warning must come before the boulevard is red"
    assert expected_at - LATE_MORNING >= timedelta(hours=1)  # lead time enough for the police measure


def test_measures_to_start_now_and_red_measures_in_time(hot_morning: tuple[Runtime, DaySimulator]) -> None:
    runtime, sim = hot_morning
    site_runtime = runtime.sites["scheveningen"]
    engine = AdviceEngine.for_site(runtime, site_runtime)
    payload = advice_payload(site_runtime, engine.book, LATE_MORNING)
    by_measure = {a["measure_id"]: a for a in payload["advice"]}
    start_now = {m for m, a in by_measure.items() if a["status"] == "start_now"}
    assert start_now & {"traffic-controllers", "redirect-visitors", "extra-trams"}, by_measure.keys()
    # The police measure (red, 60 min lead time) is due later: from the same forecast it is advised
    # before its start time, and that start time is a full lead time before the boulevard is truly
    # red. (When exactly it appears follows the forecast's red; the lead time is what must hold.)
    truly_red = first_red(sim, runtime)
    police, moment = None, LATE_MORNING
    while police is None and moment <= truly_red - timedelta(minutes=60):
        moment += timedelta(minutes=15)
        later = advice_payload(site_runtime, engine.book, moment)
        police = next((a for a in later["advice"] if a["measure_id"] == "police"), None)
    assert police is not None, "the police measure was not advised a lead time before red"
    assert police["zone_id"] in ("boulevard-kurhaus", "boulevard-pier", "boulevard-midden")
    assert moment <= datetime.fromisoformat(police["start_by"]) <= truly_red - timedelta(minutes=60)
    orange = [a for a in payload["advice"] if a["level"] in ("orange", "red")]
    assert all("alternatives" in a for a in orange)
    assert any(a["alternatives"]["redirect_to"] for a in orange)  # somewhere quieter to send visitors
