"""`csm backtest`: every method scored on the same origins, the report written, weather accepted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from csm.cli import app
from csm.forecast.backtest import METRIC_COLUMNS, run_backtest
from tests.forecast.synthetic import synthetic_counts, write_naive_csv


def test_rolling_origin_scores_every_method_on_the_same_actuals() -> None:
    history = synthetic_counts(days=49, zones=2)
    result = run_backtest(history, horizon=12, weeks=1, every=24, refit_weeks=4,
                          methods=["csm", "seasonal_naive", "how_mean_4w", "lightgbm_plain"])
    assert list(result.metrics.columns) == METRIC_COLUMNS
    assert set(result.metrics.index) == {"csm", "seasonal_naive", "how_mean_4w", "lightgbm_plain"}
    assert result.settings["origins"] == 7  # one a day over the last week
    assert result.metrics["coverage_80"].between(0, 1).all()
    assert np.isfinite(result.metrics["MASE"]).all()
    # A daily and weekly rhythm with Poisson noise: learning beats repeating last week.
    assert result.metrics.loc["csm", "MASE"] < result.metrics.loc["seasonal_naive", "MASE"]
    assert list(result.horizon_mase.index) == list(range(1, 13))


def test_too_little_history_is_refused() -> None:
    try:
        run_backtest(synthetic_counts(days=30, zones=1), weeks=1, methods=["seasonal_naive"])
    except ValueError as exc:
        assert "five weeks" in str(exc)
    else:
        raise AssertionError("a backtest without five weeks before its window must be refused")


def test_cli_with_weather_writes_table_and_report(tmp_path: Path) -> None:
    counts, weather, report = tmp_path / "c.csv", tmp_path / "w.csv", tmp_path / "r.html"
    frame = synthetic_counts(days=45, zones=2)
    write_naive_csv(frame, counts)
    stamps = pd.date_range("2025-01-06", periods=45 * 24, freq="1h")
    pd.DataFrame({"timestamp": [t.isoformat() for t in stamps],
                  "temperature_c": 15 + 5 * np.sin(np.arange(len(stamps)) / 24)}).to_csv(weather, index=False)
    result = CliRunner().invoke(app, ["backtest", "--counts", str(counts), "--weather", str(weather), "--weeks", "1",
                                      "--horizon", "6", "--baselines", "seasonal_naive", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "csm" in result.output and "seasonal_naive" in result.output and "MASE" in result.output
    html = report.read_text().lower()
    assert "<html" in html and ("<img" in html or "<svg" in html)
    assert "per week of the target" in html and "per week of the target" in result.output.lower()


def test_day_ahead_from_06_00_with_breakdowns_by_hour_day_and_day_type() -> None:
    history = synthetic_counts(days=44, zones=2)
    last_day = pd.Timestamp(history["timestamp"].max()).date()
    result = run_backtest(history, horizon=24, weeks=1, every=24, refit_weeks=4,
                          methods=["csm", "how_mean_4w", "lightgbm_tuned"], origin_hour=6, event_days={last_day})
    assert str(result.settings["first_origin_local"]).endswith("06:00:00+01:00")  # issued at 06:00 local
    by_hour = result.coverage_by_hour
    assert list(by_hour.index) == list(range(24)) and list(by_hour.columns) == ["csm", "how_mean_4w",
                                                                                "lightgbm_tuned"]
    assert by_hour.notna().all().all()  # 24 steps from 06:00 reach every hour of the day
    assert by_hour["csm"].between(0, 1).all()
    # per day: one row per local target date, the two scores per method
    assert {"csm_MASE", "csm_coverage", "how_mean_4w_MASE"} <= set(result.by_day.columns)
    assert len(result.by_day) >= 7
    types = result.by_day_type
    assert list(types.index) == ["weekday", "weekend", "public_holiday", "school_holiday", "event_day"]
    assert types.loc["weekday", "days"] + types.loc["weekend", "days"] == len(result.by_day)
    assert types.loc["event_day", "days"] == 1 and np.isfinite(types.loc["event_day", "csm_MASE"])
    # per week: one row per Monday of the scored days; a week's coverage pools its days' rows, so it
    # lies between its days' lowest and highest
    weeks = result.by_week
    days = list(result.by_day.index)
    assert set(weeks.index) == {day - timedelta(days=day.weekday()) for day in days} and len(weeks) >= 2
    assert list(weeks.columns) == list(result.by_day.columns)
    for monday, row in weeks.iterrows():
        week = result.by_day.loc[[d for d in days if monday <= d < monday + timedelta(days=7)], "csm_coverage"]
        assert week.min() - 1e-9 <= row["csm_coverage"] <= week.max() + 1e-9
    text = result.breakdown()
    assert "per local hour of day" in text and "event_day" in text and "how_mean_4w" in text
    assert "per week of the target" in text


def test_tuned_baseline_chooses_its_hyper_parameters_by_time_series_cv() -> None:
    from csm.forecast.model import make_grid
    from csm.forecast.tuned_baseline import CANDIDATES, TunedLightGBM

    history = synthetic_counts(days=42, zones=2)
    history["timestamp"] = pd.to_datetime(history["timestamp"], utc=True)
    from zoneinfo import ZoneInfo

    grid = make_grid(history, "1h", ZoneInfo("Europe/Amsterdam"), "NL")
    model = TunedLightGBM(horizon=24).fit(grid, len(grid.index) - 25)
    assert len(model.cv_scores) == len(CANDIDATES)
    best = min(model.cv_scores, key=lambda item: item[1])[0]
    assert model.params == best and 1 <= best["n_estimators"] <= 800
    forecast = model.predict(grid, len(grid.index) - 25)
    assert forecast.shape == (2, 24, 3)
    assert np.all(forecast[..., 0] <= forecast[..., 1]) and np.all(forecast[..., 1] <= forecast[..., 2])
    actual = (grid.values * grid.scale)[-24:].T
    assert np.nanmean(np.abs(forecast[..., 1] - actual)) < 0.25 * np.nanmean(actual)


def test_the_csm_busy_decision_is_chosen_per_fit_and_scored() -> None:
    history = synthetic_counts(days=49, zones=2)
    result = run_backtest(history, horizon=24, weeks=1, every=24, refit_weeks=4, methods=["csm", "how_mean_4w"],
                          origin_hour=6)
    levels = result.settings["busy_levels"]
    assert isinstance(levels, dict) and list(levels) == ["csm"] and len(levels["csm"]) == 1
    assert 0.0 <= levels["csm"][0] <= 1.0
    assert 0.0 <= result.metrics.loc["csm", "busy_F1"] <= 1.0
    assert f"csm L = {levels['csm'][0]:.2f}" in result.breakdown()
