"""An offline HTML report of a backtest: the metrics table and plots embedded as PNG."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from csm.forecast.backtest import BacktestResult
from csm.forecast.breakdown import losing_days


def _png(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def write_report(result: BacktestResult, path: Path) -> None:
    images = []
    figure, axis = plt.subplots(figsize=(8, 3.5))
    for method in result.horizon_mase.columns:
        axis.plot(result.horizon_mase.index, result.horizon_mase[method], label=method)
    axis.set(xlabel="steps ahead", ylabel="MASE", title="Error by lead time (lower is better)")
    axis.legend()
    images.append(_png(figure))
    if not result.coverage_by_hour.empty:
        figure, axis = plt.subplots(figsize=(8, 3.5))
        by_hour = result.coverage_by_hour.dropna(how="all")
        for method in by_hour.columns:
            axis.plot(by_hour.index, by_hour[method], marker="o", ms=3, label=method)
        axis.axhspan(0.78, 0.82, color="green", alpha=0.15, label="78–82 %")
        axis.set(xlabel="local hour of day", ylabel="coverage", title="Coverage of the 80 % band per hour of day")
        axis.legend(fontsize=8)
        images.append(_png(figure))
    for zone, rows in result.sample.groupby("zone"):
        figure, axis = plt.subplots(figsize=(10, 3.2))
        axis.plot(rows["timestamp"], rows["actual"], color="black", lw=1, label="actual")
        if "csm_p50" in rows:
            axis.plot(rows["timestamp"], rows["csm_p50"], color="tab:blue", lw=1, label="CSM p50")
            axis.fill_between(rows["timestamp"], rows["csm_p10"], rows["csm_p90"], color="tab:blue", alpha=0.2,
                              label="CSM p10–p90")
        if "seasonal_naive_p50" in rows:
            axis.plot(rows["timestamp"], rows["seasonal_naive_p50"], color="tab:orange", lw=0.8, ls="--",
                      label="seasonal naive")
        axis.set(title=str(zone), ylabel="count")
        axis.legend(loc="upper left", fontsize=8)
        images.append(_png(figure))
    settings = ", ".join(f"{k}={v}" for k, v in result.settings.items())
    fmt = {"float_format": lambda v: f"{v:.3f}", "border": 0}
    table = result.metrics.to_html(**fmt)
    if not result.by_day_type.empty:
        table += "<h2>Per day type (MASE, coverage)</h2>" + result.by_day_type.to_html(**fmt)
    if not result.by_week.empty:
        table += "<h2>Per week of the target, Monday to Sunday (MASE, coverage)</h2>" + result.by_week.to_html(**fmt)
    if "csm_MASE" in result.by_day and "how_mean_4w_MASE" in result.by_day:
        lost = losing_days(result.by_day)
        table += (f"<h2>Days on which csm lost to how_mean_4w: {len(lost)} of {len(result.by_day)}</h2>"
                  + lost.to_html(**fmt))
    body = "".join(f'<img alt="plot" src="data:image/png;base64,{img}">' for img in images)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>CSM backtest</title><style>"
        "body{font-family:system-ui;margin:2rem;max-width:1100px}table{border-collapse:collapse}"
        "td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:right}img{display:block;margin:1rem 0}"
        f"</style></head><body><h1>Forecast backtest</h1><p>{html.escape(settings)}</p>{table}{body}</body></html>",
        encoding="utf-8",
    )
