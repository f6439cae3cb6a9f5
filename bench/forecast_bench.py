"""Forecast benchmark: accuracy against the baselines on real development data, and speed.

Run: .venv/bin/python bench/forecast_bench.py [--quick]

1. Auckland pedestrian counts (21 sensors, hourly, data before 2025-07-01 only): rolling-origin
   backtest over the last 26 weeks before 2025-07-01, 1–24 h ahead, origins daily at the same hour.
2. Capital Bikeshare hourly riders (casual and registered, Washington DC 2011–2012; the second
   real dataset, bench/bike_data.py): the same day-ahead backtest over the last weeks of 2012,
   with and without the weather (measured weather plus a forecast's error) as an ablation.
3. Melbourne pedestrian counts (the City of Melbourne's sensors, 2012–2015; the third real
   dataset, bench/melb_data.py; the file is fetched by hand, see there): the same day-ahead
   backtest over the last 6 weeks before 2015-02-01, on the sensors with a year of history
   (skipped, with how to get the file, when it is not there; with --only melbourne that is an error).
4. The demo site's zone history (simulated), 15-minute steps, 1–24 h ahead.
5. Speed: 20 zones × 6 years of hourly history → a 48-step forecast.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before LightGBM loads (csm.settings.prefer_passive_openmp)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from akl_data import COUNTRY, RESERVED_FROM, TZ, load_development_counts
from csm.forecast.backtest import BacktestResult, run_backtest
from csm.forecast.report import write_report


def verdict(result: BacktestResult) -> str:
    table = result.metrics
    baselines = table[[not str(m).startswith("csm") for m in table.index]]
    ours = "csm" if "csm" in table.index else str(table.index[0])  # an ablation run may have no plain csm
    if baselines.empty:
        return "no baseline in this run: no verdict"
    best = baselines["MASE"].min()
    gain = 1 - table.loc[ours, "MASE"] / best
    coverage = table.loc[ours, "coverage_80"]
    by_hour = result.coverage_by_hour[ours].dropna()
    f1_ok = table.loc[ours, "busy_F1"] > baselines["busy_F1"].max()
    return (f"MASE {gain:+.1%} vs best baseline ({baselines['MASE'].idxmin()}) [bar: ≥ 10%]; "
            f"coverage {coverage:.1%}, per hour of day {by_hour.min():.1%}–{by_hour.max():.1%} [bar: 78–82%]; "
            f"busy-hour F1 beats every baseline: {f1_ok}")


def show(title: str, result: BacktestResult, started: float, out: Path | None) -> None:
    print(f"\n== {title} ({result.settings['origins']} origins from {result.settings['first_origin_local']}, "
          f"{result.settings['zones']} zones, {time.perf_counter() - started:.0f} s)")
    print(result.table())
    print(f"busy decision (level in the band, per fit): {result.settings.get('busy_levels')}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(verdict(result))
    print(result.breakdown())
    if out is not None:
        write_report(result, out)


def day_ahead(counts: pd.DataFrame, country: str, tz: str, weeks: int, methods: list[str],
              weather: pd.DataFrame | None = None) -> BacktestResult:
    """The backtest every dataset gets: issued at 06:00 local time, 1–24 h ahead, an origin a day,
    models refit every 4 weeks (the day-ahead forecast operators plan the day with)."""
    return run_backtest(counts, horizon=24, freq="1h", country=country, tz=tz, weeks=weeks, every=24,
                        refit_weeks=4, methods=methods, weather=weather, origin_hour=6)


def auckland(quick: bool, out: Path, weeks: int | None = None, intraday: bool = True,
             methods: list[str] | None = None, until: str | None = None) -> None:
    """`until` (a date before 2025-07-01): end the data there — a validation window before the
    evaluation window, where settings may be chosen without looking at the weeks they are judged on."""
    end = date.fromisoformat(until) if until else RESERVED_FROM
    counts = load_development_counts(end)
    weeks = weeks or (8 if quick else 26)
    methods = methods or (["csm", "seasonal_naive", "how_mean_4w", "lightgbm_plain", "lightgbm_tuned"] +
                          ([] if quick else ["mstl"]))
    started = time.perf_counter()
    result = day_ahead(counts, COUNTRY, TZ, weeks, methods)
    show(f"Auckland pedestrian counts, last {weeks} weeks before {end}, day-ahead from 06:00, 1–24 h ahead",
         result, started, out / "forecast_auckland.html")
    if intraday:
        auckland_intraday(min(weeks, 8), counts)


def auckland_intraday(weeks: int, counts: pd.DataFrame | None = None) -> None:
    """1–3 h ahead from every hour: the accuracy of the service's intraday updates."""
    counts = load_development_counts() if counts is None else counts
    started = time.perf_counter()
    short = run_backtest(counts, horizon=3, freq="1h", country=COUNTRY, tz=TZ, weeks=weeks, every=1,
                         refit_weeks=4, methods=["csm", "seasonal_naive", "how_mean_4w", "lightgbm_plain"])
    show(f"Auckland, intraday: 1–3 h ahead from hourly origins, last {weeks} weeks before 2025-07-01", short,
         started, None)


def bikeshare(quick: bool, out: Path, weeks: int | None = None, methods: list[str] | None = None,
              until: str | None = None) -> None:
    """The second real dataset; the weather is what was measured plus a day-ahead forecast's error
    (σ 1.5 °C per day, as for the demo), given to the CSM model only."""
    from bike_data import COUNTRY as BIKE_COUNTRY
    from bike_data import TZ as BIKE_TZ
    from bike_data import load_counts, load_table, load_weather

    table = load_table()
    if until:  # a validation window before the evaluation window (the weeks before `until`)
        table = table[table["timestamp"] < pd.Timestamp(until, tz=BIKE_TZ)].reset_index(drop=True)
    counts, weather = load_counts(table), load_weather(table)
    rng = np.random.default_rng(5)
    local_day = weather["timestamp"].dt.tz_convert(BIKE_TZ).dt.date
    error = {d: rng.normal(0, 1.5) for d in sorted(set(local_day))}
    weather = weather.assign(temperature_c=weather["temperature_c"] + local_day.map(error).to_numpy())
    weeks = weeks or (6 if quick else 12)
    methods = methods or ["csm", "csm-without:weather", "seasonal_naive", "how_mean_4w", "lightgbm_plain",
                          "lightgbm_tuned"]
    started = time.perf_counter()
    result = day_ahead(counts, BIKE_COUNTRY, BIKE_TZ, weeks, methods, weather)
    show(f"Capital Bikeshare riders (casual, registered), last {weeks} weeks before {until or '2013-01-01'}, "
         "day-ahead from 06:00",
         result, started, out / "forecast_bikeshare.html")


def melbourne(quick: bool, out: Path, weeks: int | None = None, methods: list[str] | None = None,
              until: str | None = None, path: Path | None = None, required: bool = True) -> None:
    """The third real dataset: day-ahead from 06:00 over the last `weeks` before `until` (default
    2015-02-01: most sensors count until mid-February 2015), on the sensors with a year of history
    before the window and counts in it (`melb_data.with_history`; the others are named). Without
    the file: an error when `required`, else a note and nothing run."""
    from melb_data import COUNTRY as MELB_COUNTRY
    from melb_data import TZ as MELB_TZ
    from melb_data import load_counts as load_melbourne
    from melb_data import with_history

    end = date.fromisoformat(until or "2015-02-01")
    weeks = weeks or (2 if quick else 6)
    try:
        counts = load_melbourne(path, end)
    except FileNotFoundError as exc:
        if required:
            raise SystemExit(str(exc)) from None
        print(f"\n== Melbourne skipped. {exc}")
        return
    counts, dropped = with_history(counts, weeks)
    for zone, reason in sorted(dropped.items()):
        print(f"Melbourne: {zone} left out: {reason}")
    methods = methods or ["csm", "seasonal_naive", "how_mean_4w", "lightgbm_tuned"]
    started = time.perf_counter()
    result = day_ahead(counts, MELB_COUNTRY, MELB_TZ, weeks, methods)
    show(f"Melbourne pedestrian counts, last {weeks} weeks before {end}, day-ahead from 06:00, 1–24 h ahead",
         result, started, out / "forecast_melbourne.html")


def demo_site(quick: bool, out: Path) -> None:
    from csm.demo.runner import hourly_temperature
    from csm.site.loader import load_site
    from csm.synthetic.day import DaySimulator, daily_temperature

    site = load_site(Path(__file__).resolve().parent.parent / "sites" / "scheveningen")
    sim = DaySimulator(site)
    days = 63 if quick else 119
    # Minute-level truth of every zone (the simulator's), averaged to hours like the Auckland data,
    # with 4 % counting noise; each day has its own weather (warm weekends fill the coast).
    index = pd.date_range(datetime(2026, 7, 18, tzinfo=UTC) - pd.Timedelta(days=days), periods=days * 96,
                          freq="15min")
    local_dates = index.tz_convert(site.tz).date
    temperatures = np.array([daily_temperature(d) for d in local_dates])
    rng = np.random.default_rng(3)
    frames = []
    for zone in site.zones:
        truth = sim.truths(zone, index, temperatures) * (1 + rng.normal(0, 0.04, len(index)))
        hourly = pd.Series(np.maximum(truth, 0.0), index=index).resample("1h").mean()
        frames.append(pd.DataFrame({"timestamp": hourly.index, "zone": zone, "count": hourly.to_numpy()}))
    history = pd.concat(frames, ignore_index=True)
    # The weather the CSM model is given: the hourly temperature curve of each day's maximum, with
    # a day-ahead forecast's error (σ 1.5 °C per day) — not the simulator's exact temperature.
    hours = pd.date_range(index[0], index[-1], freq="1h")
    hour_dates = hours.tz_convert(site.tz).date
    error = {d: rng.normal(0, 1.5) for d in sorted(set(hour_dates))}
    local_hours = hours.tz_convert(site.tz).hour
    weather = pd.DataFrame({"timestamp": hours, "temperature_c": [
        hourly_temperature(daily_temperature(d) + error[d], h) for d, h in zip(hour_dates, local_hours, strict=True)
    ]})
    weeks = 4 if quick else 8
    methods = ["csm", "seasonal_naive", "how_mean_4w", "lightgbm_plain", "lightgbm_tuned"] + \
        ([] if quick else ["mstl"])
    started = time.perf_counter()
    result = day_ahead(history, "NL", site.config.timezone, weeks, methods, weather)
    show(f"Demo site (simulated zone occupancy, hourly), last {weeks} weeks, day-ahead from 06:00", result, started,
         out / "forecast_demo.html")


def speed(out: Path) -> None:
    """The CLI contract end to end: CSV in, CSV out, as another tool would call it."""
    index = pd.date_range("2019-01-01", periods=6 * 365 * 24, freq="1h", tz="Europe/Amsterdam")
    rng = np.random.default_rng(0)
    hours = index.hour.to_numpy()
    frames = [pd.DataFrame({"timestamp": index, "zone": f"zone-{z}",
                            "count": rng.poisson((20 + 5 * z) + 80 * np.exp(-((hours - 14) / 4) ** 2))})
              for z in range(20)]
    history = pd.concat(frames, ignore_index=True)
    counts, result = out / "speed_counts.csv", out / "speed_forecast.csv"
    history.assign(timestamp=history["timestamp"].map(lambda t: t.isoformat())).to_csv(counts, index=False)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "csm", "forecast", "--counts", str(counts), "--horizon", "48",
                    "--out", str(result), "--country", "NL"], check=True, capture_output=True)
    rows = sum(1 for _ in result.open()) - 1
    print(f"\n== Speed: `csm forecast` on 20 zones × 6 years hourly ({len(history):,} rows) → 48 steps: "
          f"{time.perf_counter() - started:.1f} s wall on {os.cpu_count()} cores, {_cpu_seconds(cpu_before):.1f} s CPU "
          f"({rows} rows out; load average: {os.getloadavg()[0]:.1f})")


def _cpu_seconds(before: resource.struct_rusage) -> float:
    """CPU time of the child, which unlike wall time does not depend on what else the machine runs."""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter windows, no MSTL")
    parser.add_argument("--only", choices=["auckland", "intraday", "bikeshare", "melbourne", "demo", "speed"])
    parser.add_argument("--weeks", type=int, help="evaluation window in weeks (Auckland 26, bikeshare 12, "
                                                  "Melbourne 6)")
    parser.add_argument("--no-intraday", action="store_true", help="Auckland: skip the 1–3 h hourly-origin run")
    parser.add_argument("--methods", help="Auckland, bikeshare, Melbourne: comma-separated methods instead of the "
                                          "defaults, e.g. csm,how_mean_4w,csm-without:site_deviation (an ablation)")
    parser.add_argument("--until", help="Auckland, bikeshare, Melbourne: end the data at this date (YYYY-MM-DD; "
                                        "Auckland before 2025-07-01, Melbourne default 2015-02-01) — a "
                                        "validation window for choosing settings")
    parser.add_argument("--melbourne-data", type=Path, help="Melbourne: the ZIP (or its CSV), default "
                                                            "bench/out/data/pedestriancounts_melbourne.zip")
    args = parser.parse_args()
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    if args.only in (None, "speed"):
        speed(out)
    if args.only in (None, "auckland"):
        auckland(args.quick, out, args.weeks, not args.no_intraday,
                 args.methods.split(",") if args.methods else None, args.until)
    if args.only in (None, "bikeshare"):
        bikeshare(args.quick, out, args.weeks, args.methods.split(",") if args.methods else None, args.until)
    if args.only in (None, "melbourne"):
        melbourne(args.quick, out, args.weeks, args.methods.split(",") if args.methods else None, args.until,
                  args.melbourne_data, required=args.only == "melbourne")
    if args.only == "intraday":
        auckland_intraday(args.weeks or 2)
    if args.only in (None, "demo"):
        demo_site(args.quick, out)


if __name__ == "__main__":
    main()
