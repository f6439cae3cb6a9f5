"""The service side of forecasting: history resampling, stored runs and the forecast endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.runtime import Runtime
from csm.services.forecasts import history_frame
from tests.conftest import NOON, AuthedClient


def test_forecast_endpoint_serves_the_newest_run_with_levels(tiny_runtime: Runtime) -> None:
    steps = pd.date_range(NOON, periods=4, freq="15min")
    older = pd.DataFrame({"zone_id": "plein", "ts": steps, "p10": 1.0, "p50": 2.0, "p90": 3.0})
    tiny_runtime.store.write_forecast("tiny", NOON - timedelta(minutes=15), older)
    newest = pd.DataFrame(
        {"zone_id": "plein", "ts": steps, "p10": [100, 300, 900, 1500],
         "p50": [200, 500, 1200, 2100], "p90": [300, 800, 2100, 2600]}
    )
    tiny_runtime.store.write_forecast("tiny", NOON, newest)
    with TestClient(create_app(tiny_runtime, web_dist=None)) as raw:
        body = AuthedClient(raw, tiny_runtime).get("/api/v1/sites/tiny/zones/forecast").json()  # type: ignore[attr-defined]
    assert datetime.fromisoformat(body["issued_at"]) == NOON
    points = body["zones"]["plein"]
    assert [p["p50"] for p in points] == [200, 500, 1200, 2100]
    # plein: 1000 m² walkable, capacity 2000 → 0.2 green, 0.5 yellow, 1.2 orange, 2.1 red
    assert [p["level"] for p in points] == ["green", "yellow", "orange", "red"]
    assert [p["level_p90"] for p in points] == ["green", "yellow", "red", "red"]
    assert datetime.fromisoformat(points[0]["ts"]) == NOON


def test_forecast_endpoint_without_a_run(tiny_runtime: Runtime) -> None:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as raw:
        body = AuthedClient(raw, tiny_runtime).get("/api/v1/sites/tiny/zones/forecast").json()  # type: ignore[attr-defined]
    assert body == {"site": "tiny", "issued_at": None, "step": "15min", "zones": {}}


def test_history_is_resampled_to_complete_steps(tiny_runtime: Runtime) -> None:
    ts = pd.date_range(NOON - timedelta(hours=1), NOON, freq="5min")
    rows = pd.DataFrame({"zone_id": "plein", "ts": ts, "occupancy": range(len(ts)),
                         "density": 0.0, "level": "green", "stale": False})
    tiny_runtime.store.write_zone_history("tiny", rows)
    frame = history_frame(tiny_runtime.sites["tiny"], NOON + timedelta(minutes=7))
    assert list(frame["zone"].unique()) == ["plein"]
    assert frame["timestamp"].max() == pd.Timestamp(NOON - timedelta(minutes=15))
    assert frame["count"].iloc[0] == pytest.approx(1.0)  # mean of 0, 1, 2
    assert frame["timestamp"].dt.tz is not None


def test_scheduled_run_forecasts_every_zone_from_stored_history(tiny_runtime: Runtime) -> None:
    from csm.services.forecasts import HORIZON, STEP, run_forecast
    from tests.forecast.synthetic import synthetic_counts

    history = synthetic_counts(days=18, zones=3, freq="15min", start="2026-06-30")
    history["zone"] = history["zone"].map({"zone-0": "plein", "zone-1": "pier", "zone-2": "strand"})
    rows = pd.DataFrame({"zone_id": history["zone"], "ts": history["timestamp"].dt.tz_convert("UTC"),
                         "occupancy": history["count"].astype(float), "density": 0.0, "level": "green",
                         "stale": False})
    tiny_runtime.store.write_zone_history("tiny", rows)
    result = run_forecast(tiny_runtime.sites["tiny"], NOON)
    assert result is not None
    issued_at, forecast = result
    steps = int(HORIZON / pd.Timedelta(STEP))
    assert forecast.groupby("zone_id").size().to_dict() == {"pier": steps, "plein": steps, "strand": steps}
    stored_at, stored = tiny_runtime.store.latest_forecast("tiny")
    assert stored_at == issued_at and len(stored) == 3 * steps
    last_history = rows["ts"].max()
    assert stored["ts"].min() == last_history + pd.Timedelta(STEP)  # forecasts start after the data


def test_no_history_means_no_forecast_run(tiny_runtime: Runtime) -> None:
    from csm.services.forecasts import run_forecast

    assert run_forecast(tiny_runtime.sites["tiny"], NOON) is None


def test_weather_reaches_the_forecast_observed_behind_forecast_ahead(tiny_runtime: Runtime) -> None:
    """The sources' weather is the model's covariate: the station's observations for the past,
    the hourly forecast for the future, one value per hour, observed winning where both exist."""
    from csm.domain.model import Observation
    from csm.services.forecast_covariates import weather_frame

    hour = timedelta(hours=1)
    observed = [Observation("tiny", "weather:tiny", "temperature_c", NOON - k * hour, 600, 20.0 + k) for k in (1, 2)]
    observed.append(Observation("tiny", "weather:tiny", "precipitation_mm_h", NOON - hour, 600, 0.4))
    forecast = [Observation("tiny", "weather-forecast:tiny", "temperature_c", NOON + k * hour, 3600, 30.0)
                for k in (-1, 0, 1)]
    forecast.append(Observation("tiny", "weather-forecast:tiny", "day_temperature_max_c", NOON, 86_400, 31.0))
    tiny_runtime.store.write_observations([*observed, *forecast], received_at=NOON)
    frame = weather_frame(tiny_runtime.sites["tiny"], NOON - timedelta(days=1), NOON + timedelta(days=1))
    assert frame is not None
    by_time = frame.set_index("timestamp")
    assert by_time.loc[NOON - 2 * hour, "temperature_c"] == 22.0
    assert by_time.loc[NOON - hour, "temperature_c"] == 21.0  # observed beats the forecast of that hour
    assert by_time.loc[NOON - hour, "precipitation_mm"] == 0.4  # a rate in mm/h is the hour's mm
    assert by_time.loc[NOON + hour, "temperature_c"] == 30.0
    assert "day_temperature_max_c" not in frame.columns  # day-level values are not hourly covariates


def test_intraday_update_reuses_the_fitted_model_with_the_newest_counts(tiny_runtime: Runtime) -> None:
    """Between refits the service forecasts again from the newest counts without refitting:
    the same fitted model, a new origin, and a forecast that reacts to what just happened."""
    from csm.services.forecasts import FITTED_MODELS, STEP, run_forecast
    from tests.forecast.synthetic import synthetic_counts

    history = synthetic_counts(days=18, zones=3, freq="15min", start="2026-06-30")
    history["zone"] = history["zone"].map({"zone-0": "plein", "zone-1": "pier", "zone-2": "strand"})
    rows = pd.DataFrame({"zone_id": history["zone"], "ts": history["timestamp"].dt.tz_convert("UTC"),
                         "occupancy": history["count"].astype(float), "density": 0.0, "level": "green",
                         "stale": False})
    rows = rows[rows["ts"] < pd.Timestamp(NOON)]
    tiny_runtime.store.write_zone_history("tiny", rows)
    models = tiny_runtime.state.get(FITTED_MODELS)
    first = run_forecast(tiny_runtime.sites["tiny"], NOON, refit=True, models=models)
    assert first is not None
    fitted = models.by_site["tiny"]
    # An hour later, with a surge in the plein: four times the usual count for the last hour.
    hour_later = NOON + timedelta(hours=1)
    surge = pd.DataFrame({"zone_id": "plein", "ts": pd.date_range(NOON, periods=4, freq=STEP, tz="UTC"),
                          "occupancy": 4 * rows[rows["zone_id"] == "plein"]["occupancy"].iloc[-4:].to_numpy() + 400,
                          "density": 0.0, "level": "green", "stale": False})
    tiny_runtime.store.write_zone_history("tiny", surge)
    second = run_forecast(tiny_runtime.sites["tiny"], hour_later + timedelta(minutes=15), refit=False,
                          models=models)
    assert second is not None
    assert models.by_site["tiny"] is fitted  # not refitted
    _, before = first
    _, after = second
    plein_before = before[before["zone_id"] == "plein"].set_index("ts")["p50"]
    plein_after = after[after["zone_id"] == "plein"].set_index("ts")["p50"]
    assert plein_after.index.min() == pd.Timestamp(hour_later)  # the origin moved to the newest count
    common = plein_after.index.intersection(plein_before.index)[:4]
    # the newest counts are features at the new origin: the same model forecasts differently
    assert not np.allclose(plein_after[common].to_numpy(), plein_before[common].to_numpy())
    assert np.abs(plein_after[common] - plein_before[common]).max() > 0.5


def _tiny_garages(site: object) -> dict[str, list[str]]:
    """A GARAGE_ZONES entry for the tests: one garage serving the plein."""
    return {"p1": ["plein"]}


def test_known_ahead_is_gathered_from_the_store_by_covariate_kind(
        tiny_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Events (future hours included), parking occupancy per served zone and public-transport
    disruptions (carried a little past now) reach the forecaster's KnownAhead bundle."""
    from csm.domain.model import Observation
    from csm.services import forecast_covariates

    monkeypatch.setattr(forecast_covariates, "GARAGE_ZONES", ["tests.test_forecast_service:_tiny_garages"])
    hour = timedelta(hours=1)
    tiny_runtime.store.write_observations([
        Observation("tiny", "event:plein", "expected_visitors", NOON + 3 * hour, 3600, 5000.0),
        Observation("tiny", "event:*", "expected_visitors", NOON + 4 * hour, 3600, 800.0),
        Observation("tiny", "parking:p1", "occupied", NOON - hour, 300, 300.0),
        Observation("tiny", "parking:p1", "capacity", NOON - hour, 300, 400.0),
        Observation("tiny", "transit:disruptions", "active_disruptions", NOON - hour, 300, 3.0),
    ], received_at=NOON)
    known = forecast_covariates.known_ahead(tiny_runtime.sites["tiny"], NOON - timedelta(days=1), NOON,
                                            NOON + timedelta(days=1))
    assert known.events is not None and known.parking is not None and known.pt_disruptions is not None
    events = known.events.set_index("timestamp")
    assert events.loc[pd.Timestamp(NOON + 3 * hour), "zone"] == "plein"
    assert events.loc[pd.Timestamp(NOON + 3 * hour), "expected_visitors"] == 5000.0
    assert events.loc[pd.Timestamp(NOON + 4 * hour), "zone"] is None  # site-wide: every zone
    parking = known.parking.iloc[0]
    assert parking["zone"] == "plein" and parking["occupancy"] == pytest.approx(0.75)
    severity = known.pt_disruptions.set_index("timestamp")["severity"]
    assert severity.iloc[0] == pytest.approx(0.75)  # 3 / (3 + 1)
    assert severity.index.max() == pd.Timestamp(NOON + forecast_covariates.PT_CARRY)  # carried ahead
    assert severity.index.max() < pd.Timestamp(NOON + 3 * hour)  # ...but not for the whole horizon


def test_known_ahead_is_empty_without_covariates(tiny_runtime: Runtime) -> None:
    from csm.services.forecast_covariates import known_ahead

    known = known_ahead(tiny_runtime.sites["tiny"], NOON - timedelta(days=1), NOON, NOON + timedelta(days=1))
    assert known.names() == []


def test_the_scheduled_forecast_uses_the_stored_events(tiny_runtime: Runtime) -> None:
    """An event stored for tomorrow evening reaches the model: its visitors are a feature of the fit
    (what an event does to a forecast is tested on the forecaster itself, test_covariates.py)."""
    from csm.domain.model import Observation
    from csm.services.forecasts import FITTED_MODELS, run_forecast
    from tests.forecast.synthetic import synthetic_counts

    history = synthetic_counts(days=18, zones=3, freq="15min", start="2026-06-30")
    history["zone"] = history["zone"].map({"zone-0": "plein", "zone-1": "pier", "zone-2": "strand"})
    rows = pd.DataFrame({"zone_id": history["zone"], "ts": history["timestamp"].dt.tz_convert("UTC"),
                         "occupancy": history["count"].astype(float), "density": 0.0, "level": "green",
                         "stale": False})
    rows = rows[rows["ts"] < pd.Timestamp(NOON)]
    tiny_runtime.store.write_zone_history("tiny", rows)
    evening = NOON + timedelta(hours=30)
    tiny_runtime.store.write_observations([
        Observation("tiny", "event:plein", "expected_visitors", evening + timedelta(hours=k), 3600, 20_000.0)
        for k in range(3)], received_at=NOON)
    models = tiny_runtime.state.get(FITTED_MODELS)
    result = run_forecast(tiny_runtime.sites["tiny"], NOON, models=models)
    assert result is not None
    assert "event_visitors" in models.by_site["tiny"].covariates
