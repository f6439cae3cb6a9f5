"""`csm backtest`: every method scored on the same origins, the report written, weather accepted."""

from __future__ import annotations

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
