"""`csm forecast` and `csm backtest`: the CSV contracts other tools call."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import typer

from csm.forecast.covariates import KnownAhead
from csm.forecast.grid import steps_per
from csm.forecast.io import (
    ForecastInputError,
    read_counts_csv,
    read_covariate_csv,
    read_weather_csv,
    timezone_for,
    write_forecast_csv,
)


def _check_country(country: str) -> None:
    """A country or subdivision the holiday calendar does not know is an input error (exit 2), not
    a silent forecast without holidays."""
    from csm.forecast.calendar import unknown_holiday_region

    problem = unknown_holiday_region(country)
    if problem:
        typer.echo(f"error: --country {country}: {problem}", err=True)
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    @app.command("forecast")
    def forecast(
        counts: Path = typer.Option(..., "--counts", help="CSV timestamp,zone,count (gaps = absent rows)"),
        horizon: int = typer.Option(..., "--horizon", min=1, help="steps to forecast after the last timestamp"),
        out: Path = typer.Option(..., "--out", help="output CSV zone,timestamp,p10,p50,p90"),
        freq: str = typer.Option("1h", help="step length, e.g. 1h or 15min"),
        country: str = typer.Option("NL", help="ISO country code for holidays (and local time of naive stamps), "
                                    "or country-subdivision for regional holidays too, e.g. NZ-AUK"),
        weather: Path | None = typer.Option(None, help="CSV timestamp + temperature_c, precipitation_mm, ..."),
        tz: str | None = typer.Option(None, help="IANA timezone of naive timestamps (default: the country's)"),
        events: Path | None = typer.Option(None, help="CSV timestamp,expected_visitors[,zone,distance_m]"),
        pt_disruptions: Path | None = typer.Option(None, help="CSV timestamp,severity (0..1)[,zone]"),
        parking: Path | None = typer.Option(None, help="CSV timestamp,occupancy (0..1)[,zone]"),
    ) -> None:
        """Forecast p10/p50/p90 per zone for HORIZON steps after the last input timestamp."""
        from csm.forecast.zones import forecast_zones

        started = time.perf_counter()
        zone_tz = timezone_for(country, tz)
        _check_country(country)
        try:
            history, style = read_counts_csv(counts, zone_tz)
            weather_frame = read_weather_csv(weather, zone_tz) if weather else None
            known = KnownAhead(
                weather=weather_frame,
                events=read_covariate_csv(events, "events", zone_tz) if events else None,
                pt_disruptions=(read_covariate_csv(pt_disruptions, "pt_disruptions", zone_tz)
                                if pt_disruptions else None),
                parking=read_covariate_csv(parking, "parking", zone_tz) if parking else None,
            )
        except ForecastInputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        result = forecast_zones(history, horizon, freq, country, tz=zone_tz.key, known=known)
        write_forecast_csv(result, out, style)
        typer.echo(
            f"{result['zone'].nunique()} zones × {horizon} steps → {out} ({time.perf_counter() - started:.1f} s)"
        )

    @app.command("backtest")
    def backtest(
        counts: Path = typer.Option(..., "--counts", help="CSV timestamp,zone,count"),
        horizon: int = typer.Option(24, help="steps ahead to evaluate (1..horizon)"),
        freq: str = typer.Option("1h"),
        country: str = typer.Option("NL", help="ISO country code, or country-subdivision (e.g. NZ-AUK)"),
        tz: str | None = typer.Option(None),
        weeks: int = typer.Option(26, help="evaluation window: the last WEEKS of the file"),
        every: int = typer.Option(24, help="steps between forecast origins"),
        refit_weeks: int = typer.Option(4, help="refit the models every so many weeks"),
        report: Path | None = typer.Option(None, help="write an HTML report with plots here"),
        weather: Path | None = typer.Option(None, help="CSV timestamp + temperature_c, ... (the CSM model only)"),
        baselines: str = typer.Option("seasonal_naive,how_mean_4w,mstl,lightgbm_plain,lightgbm_tuned",
                                      help="comma-separated baselines to compare"),
        origin_hour: int | None = typer.Option(None, "--origin-hour", min=0, max=23,
                                               help="issue the day-ahead forecasts at this local hour (e.g. 6)"),
        intraday: bool = typer.Option(False, help="also score 1–3 steps ahead from hourly origins"),
        events: Path | None = typer.Option(None, help="CSV with a `date` column (local dates): the event days"),
    ) -> None:
        """Rolling-origin evaluation of the CSM model against baselines (MASE, MAE, WAPE, coverage, F1),
        with coverage per hour of day and scores per day type."""
        from csm.forecast.backtest import run_backtest
        from csm.forecast.report import write_report

        zone_tz = timezone_for(country, tz)
        _check_country(country)
        try:
            history, _ = read_counts_csv(counts, zone_tz)
            weather_frame = read_weather_csv(weather, zone_tz) if weather else None
        except ForecastInputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        methods = ["csm", *[b for b in baselines.split(",") if b]]
        event_days = _event_days(events) if events else None
        result = run_backtest(history, horizon=horizon, freq=freq, country=country, tz=zone_tz.key, weeks=weeks,
                              every=every, refit_weeks=refit_weeks, methods=methods, weather=weather_frame,
                              origin_hour=origin_hour, event_days=event_days)
        typer.echo(f"1..{horizon} steps ahead, {result.settings['origins']} origins from "
                   f"{result.settings['first_origin_local']} every {every} steps:")
        typer.echo(result.table())
        typer.echo("")
        typer.echo(result.breakdown())
        if intraday:
            short = run_backtest(history, horizon=3, freq=freq, country=country, tz=zone_tz.key, weeks=weeks,
                                 every=steps_per(freq, "1h") or 1, refit_weeks=refit_weeks,
                                 methods=[m for m in methods if m != "mstl"], weather=weather_frame)
            typer.echo(f"\nintraday: 1..3 steps ahead from hourly origins ({short.settings['origins']} origins):")
            typer.echo(short.table())
        if report:
            write_report(result, report)
            typer.echo(f"report: {report}")


def _event_days(path: Path) -> set[date]:
    """Local dates of events from a CSV with a `date` column (other columns are ignored)."""
    import pandas as pd

    frame = pd.read_csv(path)
    if "date" not in frame.columns:
        typer.echo(f"error: {path}: no `date` column", err=True)
        raise typer.Exit(2)
    return set(pd.to_datetime(frame["date"]).dt.date)
