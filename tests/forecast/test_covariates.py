"""Covariates known ahead: events, public-transport disruptions and parking reach the model as
per-zone features, only as far as they are known at the origin, and an event the model is told
about is forecast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from csm.cli import app
from csm.forecast.api import forecast_zones
from csm.forecast.covariates import KnownAhead, zone_covariates
from tests.forecast.synthetic import synthetic_counts, write_naive_csv


def test_frames_become_per_zone_arrays() -> None:
    index = pd.date_range("2025-03-01", periods=6, freq="1h", tz="UTC")
    known = KnownAhead(
        events=pd.DataFrame({"timestamp": [index[2], index[2]], "zone": ["a", None],
                             "expected_visitors": [1000.0, 200.0], "distance_m": [0.0, 500.0]}),
        pt_disruptions=pd.DataFrame({"timestamp": [index[3]], "severity": [0.5]}),
        parking=pd.DataFrame({"timestamp": [index[1], index[1]], "zone": ["a", "b"], "occupancy": [0.9, 0.4]}),
    )
    arrays = zone_covariates(known, index, ["a", "b"], "1h", np.array([100.0, 10.0]))
    site_wide = 200 * np.exp(-1)
    assert np.isclose(arrays["event_visitors"][2, 0], (1000 + site_wide) / 100)  # own event + the site-wide one
    assert np.isclose(arrays["event_visitors"][2, 1], site_wide / 10)
    assert arrays["event_visitors"][3].sum() == 0
    assert list(arrays["pt_disruption"][3]) == [0.5, 0.5]  # no zone named: every zone
    assert arrays["parking_occupancy"][1, 0] == 0.9 and arrays["parking_occupancy"][2, 1] == 0.4  # held a while
    assert KnownAhead(events=known.events).without("events").names() == []
    assert known.names() == ["events", "pt_disruptions", "parking"]


def _event_history() -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Six weeks of counts in which evening events (announced ahead) on 20 days add 300 people to
    zone-0; the last evening has one too."""
    history = synthetic_counts(days=43, zones=2)
    stamps = pd.to_datetime(history["timestamp"])
    rng = np.random.default_rng(3)
    event_dates = sorted(rng.choice(np.unique(stamps.dt.date)[7:-1], 20, replace=False).tolist())
    last_date = stamps.dt.date.max()
    event_dates.append(last_date)
    hours = stamps.dt.hour
    in_event = stamps.dt.date.isin(event_dates) & hours.between(18, 21) & (history["zone"] == "zone-0")
    history.loc[in_event, "count"] += 300
    event_hours = [ts for d in event_dates for ts in pd.date_range(pd.Timestamp(d, tz=stamps.dt.tz).replace(hour=18),
                                                                  periods=4, freq="1h")]
    events = pd.DataFrame({"timestamp": event_hours, "zone": "zone-0", "expected_visitors": 300.0})
    origin = pd.Timestamp(last_date, tz=stamps.dt.tz).replace(hour=6)
    return history, events, origin


def test_an_announced_event_is_forecast() -> None:
    history, events, origin = _event_history()
    known_until_origin = history[pd.to_datetime(history["timestamp"]) <= origin]
    truth = history[(pd.to_datetime(history["timestamp"]) > origin) & (history["zone"] == "zone-0")]
    truth = truth.set_index(pd.to_datetime(truth["timestamp"]).dt.tz_convert("UTC"))["count"]
    told = forecast_zones(known_until_origin, horizon=18, country="NL", known=KnownAhead(events=events))
    blind = forecast_zones(known_until_origin, horizon=18, country="NL")

    def evening_error(forecast: pd.DataFrame) -> float:
        zone = forecast[forecast["zone"] == "zone-0"].set_index("timestamp")["p50"]
        zone.index = pd.to_datetime(zone.index, utc=True)
        evening = truth[truth.index.tz_convert("Europe/Amsterdam").hour.isin([18, 19, 20, 21])]
        return float(np.mean(np.abs(zone.reindex(evening.index) - evening)))

    assert evening_error(told) < 0.5 * evening_error(blind)


def test_cli_takes_events_disruptions_and_parking_files(tmp_path: Path) -> None:
    history, events, _ = _event_history()
    counts = tmp_path / "counts.csv"
    write_naive_csv(history, counts)
    events_csv, pt_csv, parking_csv, out = (tmp_path / n for n in ("e.csv", "pt.csv", "p.csv", "out.csv"))
    events.assign(timestamp=events["timestamp"].dt.tz_localize(None).map(lambda t: t.isoformat())).to_csv(
        events_csv, index=False)
    pd.DataFrame({"timestamp": ["2025-02-10T08:00:00"], "severity": [0.5]}).to_csv(pt_csv, index=False)
    pd.DataFrame({"timestamp": ["2025-02-17T05:00:00"], "zone": ["zone-0"], "occupancy": [0.7]}).to_csv(
        parking_csv, index=False)
    runner = CliRunner()
    result = runner.invoke(app, ["forecast", "--counts", str(counts), "--horizon", "6", "--out", str(out),
                                 "--events", str(events_csv), "--pt-disruptions", str(pt_csv),
                                 "--parking", str(parking_csv)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 2 * 6
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"timestamp": ["2025-02-10T08:00:00"], "visitors": [10]}).to_csv(bad, index=False)
    refused = runner.invoke(app, ["forecast", "--counts", str(counts), "--horizon", "6", "--out", str(out),
                                  "--events", str(bad)])
    assert refused.exit_code == 2
    assert "bad.csv" in refused.output and "expected_visitors" in refused.output
