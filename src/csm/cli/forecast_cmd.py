"""`csm forecast` and `csm backtest`: the CSV contracts other tools call."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from csm.forecast.io import ForecastInputError, read_counts_csv, read_weather_csv, timezone_for, write_forecast_csv


def register(app: typer.Typer) -> None:
    @app.command("forecast")
    def forecast(
        counts: Path = typer.Option(..., "--counts", help="CSV timestamp,zone,count (gaps = absent rows)"),
        horizon: int = typer.Option(..., "--horizon", min=1, help="steps to forecast after the last timestamp"),
        out: Path = typer.Option(..., "--out", help="output CSV zone,timestamp,p10,p50,p90"),
        freq: str = typer.Option("1h", help="step length, e.g. 1h or 15min"),
        country: str = typer.Option("NL", help="ISO country code for holidays (and local time of naive stamps)"),
        weather: Path | None = typer.Option(None, help="CSV timestamp + temperature_c, precipitation_mm, ..."),
        tz: str | None = typer.Option(None, help="IANA timezone of naive timestamps (default: the country's)"),
    ) -> None:
        """Forecast p10/p50/p90 per zone for HORIZON steps after the last input timestamp."""
        from csm.forecast.zones import forecast_zones

        started = time.perf_counter()
        zone_tz = timezone_for(country, tz)
        try:
            history, style = read_counts_csv(counts, zone_tz)
            weather_frame = read_weather_csv(weather, zone_tz) if weather else None
        except ForecastInputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        result = forecast_zones(history, horizon, freq, country, weather_frame, tz=zone_tz.key)
        write_forecast_csv(result, out, style)
        typer.echo(
            f"{result['zone'].nunique()} zones × {horizon} steps → {out} ({time.perf_counter() - started:.1f} s)"
        )

    @app.command("backtest")
    def backtest(
        counts: Path = typer.Option(..., "--counts", help="CSV timestamp,zone,count"),
        horizon: int = typer.Option(24, help="steps ahead to evaluate (1..horizon)"),
        freq: str = typer.Option("1h"),
        country: str = typer.Option("NL"),
        tz: str | None = typer.Option(None),
        weeks: int = typer.Option(26, help="evaluation window: the last WEEKS of the file"),
        every: int = typer.Option(24, help="steps between forecast origins"),
        refit_weeks: int = typer.Option(4, help="refit the models every so many weeks"),
        report: Path | None = typer.Option(None, help="write an HTML report with plots here"),
        weather: Path | None = typer.Option(None, help="CSV timestamp + temperature_c, ... (the CSM model only)"),
        baselines: str = typer.Option("seasonal_naive,how_mean_4w,mstl,lightgbm_plain",
                                      help="comma-separated baselines to compare"),
    ) -> None:
        """Rolling-origin evaluation of the CSM model against baselines (MASE, MAE, WAPE, coverage, F1)."""
        from csm.forecast.backtest import run_backtest
        from csm.forecast.report import write_report

        zone_tz = timezone_for(country, tz)
        try:
            history, _ = read_counts_csv(counts, zone_tz)
            weather_frame = read_weather_csv(weather, zone_tz) if weather else None
        except ForecastInputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        result = run_backtest(history, horizon=horizon, freq=freq, country=country, tz=zone_tz.key, weeks=weeks,
                              every=every, refit_weeks=refit_weeks,
                              methods=["csm", *[b for b in baselines.split(",") if b]], weather=weather_frame)
        typer.echo(result.table())
        if report:
            write_report(result, report)
            typer.echo(f"report: {report}")
