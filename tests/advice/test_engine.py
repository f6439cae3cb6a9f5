"""The engine on a real runtime (DuckDB, ingest, picture): level alerts, predicted alerts, advice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from csm.advice.engine import AdviceEngine
from csm.advice.lifecycle import LEVEL_CHANGE, PREDICTED_CROSSING, RESOLVED
from csm.advice.queries import advice_payload
from csm.clock import FixedClock
from csm.domain.model import Level
from csm.runtime import Runtime
from tests.advice.conftest import NOW, forecast, observe


def step(runtime: Runtime, engine: AdviceEngine, minutes: float, **occupancy: float) -> list[tuple[str, Any]]:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    clock.advance(minutes=minutes)
    observe(runtime, **occupancy)
    return engine.evaluate(clock.now())


def test_level_alert_after_dwell_and_resolved_after_stand_down(mini_runtime: Runtime) -> None:
    engine = AdviceEngine.for_site(mini_runtime, mini_runtime.sites["mini"])
    assert step(mini_runtime, engine, 0, zuid=300) == []  # first reading: yellow? 0.3 p/m² is green
    assert step(mini_runtime, engine, 1, zuid=1300) == []  # orange pending (dwell 2 min)
    events = step(mini_runtime, engine, 2, zuid=1300)
    assert [(e, a.kind, a.level, a.zone_id) for e, a in events] == [
        ("raised", LEVEL_CHANGE, "orange", "zuid")
    ]
    assert "Boulevard Zuid is orange: 1.30 persons/m²" in events[0][1].message
    for _ in range(15):  # inside the band: stays orange, nothing new
        assert step(mini_runtime, engine, 1, zuid=1050) == []
    assert step(mini_runtime, engine, 1, zuid=700) == []
    events = step(mini_runtime, engine, 10, zuid=700)
    assert [(e, a.status) for e, a in events] == [("resolved", RESOLVED)]
    assert events[0][1].resolved_by == "csm"
    # A restarted engine starts from the logged levels: no new alert for the same state.
    again = AdviceEngine.for_site(mini_runtime, mini_runtime.sites["mini"])
    assert again.trackers["zuid"].level.value == "yellow"
    assert again.evaluate(mini_runtime.clock.now()) == []


def test_predicted_crossing_raised_kept_and_withdrawn(mini_runtime: Runtime) -> None:
    sr = mini_runtime.sites["mini"]
    engine = AdviceEngine.for_site(mini_runtime, sr)
    observe(mini_runtime, zuid=500, noord=200)
    engine.evaluate(NOW)
    sr.picture.store.write_forecast("mini", NOW, forecast({"zuid": [800, 1300, 1500, 2400, 2600], "noord": [300] * 5}))
    events = engine.evaluate(NOW)
    raised = {(a.level, a.kind) for e, a in events if e == "raised"}
    assert raised == {("orange", PREDICTED_CROSSING), ("red", PREDICTED_CROSSING)}  # yellow: advice only
    red = next(a for _, a in events if a.level == "red")
    assert red.expected_at == NOW + timedelta(minutes=60) and red.lead_time_minutes == 60
    assert "expected to reach red at 14:00 (in 60 min)" in red.message
    assert engine.evaluate(NOW + timedelta(minutes=1)) == []  # no duplicates
    calmer = forecast({"zuid": [800, 1000, 1100, 1250, 1300]}, start=NOW + timedelta(minutes=2))
    sr.picture.store.write_forecast("mini", NOW + timedelta(minutes=2), calmer)
    events = engine.evaluate(NOW + timedelta(minutes=2))
    assert [(e, a.level) for e, a in events] == [("resolved", "red")]
    assert events[0][1].history[-1].note == "no longer expected by the forecast"


def test_advice_payload_with_alternatives(mini_runtime: Runtime) -> None:
    sr = mini_runtime.sites["mini"]
    engine = AdviceEngine.for_site(mini_runtime, sr)
    observe(mini_runtime, zuid=500, noord=200)
    engine.evaluate(NOW)
    sr.picture.store.write_forecast("mini", NOW, forecast({"zuid": [800, 1300, 1500, 2400, 2600],
                                                           "noord": [300] * 5, "strand": [500] * 5}))
    payload = advice_payload(sr, engine.book, NOW)
    first = payload["advice"][0]
    assert (first["measure_id"], first["zone_id"], first["status"]) == ("police", "zuid", "start_now")
    assert first["alternatives"]["redirect_to"] == ["noord", "strand"]  # tram stop: not a destination
    assert payload["forecast_issued_at"] == NOW.isoformat()
    assert {c["level"] for c in payload["crossings"]} == {"orange", "red"}
    zuid = next(a for a in payload["alternatives"] if a["zone_id"] == "zuid")
    assert zuid["redirect_to"][0]["spare_persons"] == round(1.11 * 1000 * 0.6 - 300)


def test_a_level_alert_is_resolved_however_many_newer_alerts_the_site_has(mini_runtime: Runtime) -> None:
    """The stand-down looks at every open alert of the zone, not at the newest 200 of the site
    (a busy event day on a large site raises more than that)."""
    engine = AdviceEngine.for_site(mini_runtime, mini_runtime.sites["mini"])
    step(mini_runtime, engine, 0, zuid=300)
    step(mini_runtime, engine, 1, zuid=1300)
    raised = step(mini_runtime, engine, 2, zuid=1300)
    assert [(e, a.level) for e, a in raised] == [("raised", "orange")]
    clock = mini_runtime.clock
    assert isinstance(clock, FixedClock)
    for n in range(250):  # newer alerts of other kinds, all open
        clock.advance(seconds=1)
        assert engine.book.raise_alert("zuid", Level.YELLOW, f"bench-{n}", "other", clock.now()) is not None
    assert raised[0][1].id not in {a.id for a in engine.book.alerts()}  # out of the newest 200
    clock.advance(seconds=50)  # back on a minute boundary for the readings
    step(mini_runtime, engine, 1, zuid=700)
    events = step(mini_runtime, engine, 10, zuid=700)
    assert [(e, a.id) for e, a in events] == [("resolved", raised[0][1].id)]
