"""Melbourne pedestrian counts (City of Melbourne, 2012–2015, 39 sensors): the third real dataset.

Provenance: the City of Melbourne's Pedestrian Counting System, hourly counts per sensor, as
published on its open-data portal (https://data.melbourne.vic.gov.au, "pedestrian counts"; for the
data's licence see the publisher's portal). The copy used here is the file
`pedestriancounts_melbourne.zip` (3,845,275 bytes, SHA-256 below; one member,
`pedestriancounts_melbourne.csv`, 38,214,102 bytes, 656,823 rows) of the GitHub repository
`resbaz/pedestriancounts` at commit 9f1faa91460f67bd62968219697847bf0d68fca7 (2017-08-07), a
Research Bazaar teaching repository (its licence file: GPL-3.0; its README names the portal as the
source). Its data run from 2012-01-01 to 2015-02-15 (the README says 2012–2016; the file ends
in February 2015).

The file is not part of this repository (nor anything derived from it). Get it with

    curl -L -o bench/out/data/pedestriancounts_melbourne.zip \\
      https://github.com/resbaz/pedestriancounts/raw/9f1faa91460f67bd62968219697847bf0d68fca7/pedestriancounts_melbourne.zip

(bench/out/ is git-ignored), or pass its path (the ZIP or the extracted CSV) explicitly.

Format: no header line, CRLF; columns: local date-time (` 01-JAN-2012 00:00`, with a leading
space, Australia/Melbourne wall-clock time), weekday name, hour 0–23, sensor id (4 or 4.0; empty
on 2 rows), sensor name (empty on 1 row: taken from its id), hourly count (empty on 14 rows:
dropped). The sensor name is the zone.

DST, as the file has it: the autumn day (1 April 2012, 7 April 2013, 6 April 2014) has 24 rows, one
02:00 — which of the two 02:00 hours it counts is unknown, so it is dropped (as bench/akl_data.py
and bench/bike_data.py drop the doubled hour); the spring day has no 02:00 row in 2013 and 2014
(6 and 5 October), and in 2012 (7 October) one for an hour the clock skipped: dropped, so the
missing hour stays a gap (86 rows dropped in all). Long zero runs are outages
(masked by the forecaster). Sensors 19–34 and 39 start in 2013–2014, 36–40 in 2015, and some
stop early (Australia on Collins in June 2014, Bourke Street Mall (North) in November 2014):
`with_history` keeps the sensors with a year of history before an evaluation window and counts in it.
"""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date
from pathlib import Path
from typing import IO

import pandas as pd

COMMIT = "9f1faa91460f67bd62968219697847bf0d68fca7"
FILE = "pedestriancounts_melbourne.zip"
MEMBER = "pedestriancounts_melbourne.csv"
SHA256 = "fc1c103f634bb3cd1051f9cd6f974cf2d3e064692ade3c59e75ba55e5100bc2e"
URL = f"https://github.com/resbaz/pedestriancounts/raw/{COMMIT}/{FILE}"
DEFAULT_PATH = Path(__file__).resolve().parent / "out" / "data" / FILE
TZ = "Australia/Melbourne"
# The sensors are in Melbourne's city centre: Australia's public holidays and Victoria's own
# (Labour Day, Melbourne Cup Day, ...), as the `holidays` package knows them.
COUNTRY = "AU-VIC"
COLUMNS = ["date_time", "weekday", "hour", "sensor_id", "sensor", "count"]


def how_to_get(path: Path) -> str:
    return (f"Melbourne pedestrian counts not found at {path}. Get the file (3.8 MB; the City of Melbourne's "
            f"Pedestrian Counting System, from the GitHub repository resbaz/pedestriancounts) with\n"
            f"  mkdir -p {path.parent} && curl -L -o {path} {URL}\n"
            f"or pass --melbourne-data PATH (the ZIP or its extracted CSV).")


def read_table(source: IO[bytes] | Path) -> pd.DataFrame:
    """The raw table, as read (no header line; counts with gaps are floats)."""
    return pd.read_csv(source, header=None, names=COLUMNS, dtype={"date_time": str, "sensor": str})


def to_long(table: pd.DataFrame, until: date | None = None) -> pd.DataFrame:
    """timestamp (UTC), zone (the sensor's name; an empty name is the name of its sensor id), count;
    rows before local midnight of `until` only. The ambiguous autumn 02:00 and a spring 02:00 that
    did not exist are dropped; so are empty counts."""
    local = pd.to_datetime(table["date_time"].str.strip(), format="%d-%b-%Y %H:%M")
    name_of_id = table.dropna(subset=["sensor_id", "sensor"]).groupby("sensor_id")["sensor"].first()
    table = table.assign(sensor=table["sensor"].fillna(table["sensor_id"].map(name_of_id)))
    keep = table["count"].notna() & table["sensor"].notna()
    if until is not None:
        keep &= local < pd.Timestamp(until)
    local, table = local[keep], table[keep]
    stamps = local.dt.tz_localize(TZ, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    frame = pd.DataFrame({"timestamp": stamps, "zone": table["sensor"].str.strip(),
                          "count": table["count"].astype(float)}).dropna(subset=["timestamp"])
    return frame.sort_values(["zone", "timestamp"]).reset_index(drop=True)


def load_counts(path: Path | None = None, until: date | None = None) -> pd.DataFrame:
    """timestamp (UTC), zone, count for all 39 sensors, from the ZIP (checked against its SHA-256)
    or the extracted CSV; with `until`, only what lies before that local date."""
    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.exists():
        raise FileNotFoundError(how_to_get(path))
    if path.suffix.lower() != ".zip":
        return to_long(read_table(path), until)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise ValueError(f"{path}: SHA-256 {digest}, expected {SHA256} (the file at commit {COMMIT})")
    with zipfile.ZipFile(path) as archive, archive.open(MEMBER) as handle:
        return to_long(read_table(handle), until)


def with_history(counts: pd.DataFrame, weeks: int, days: int = 365) -> tuple[pd.DataFrame, dict[str, str]]:
    """The sensors with at least `days` of history before the evaluation window (the last `weeks`
    of the data, as `run_backtest` sets it) and a count inside it; the others, with the reason."""
    eval_start = counts["timestamp"].max() - pd.Timedelta(weeks=weeks)
    span = counts.groupby("zone")["timestamp"].agg(["min", "max"])
    local = {"min": span["min"].dt.tz_convert(TZ), "max": span["max"].dt.tz_convert(TZ)}
    dropped: dict[str, str] = {}
    for zone, first, last in span.itertuples():
        if last < eval_start:
            dropped[str(zone)] = f"no count in the evaluation window (last {local['max'][zone]:%Y-%m-%d})"
        elif first > eval_start - pd.Timedelta(days=days):
            dropped[str(zone)] = f"under {days} days of history before the window (first {local['min'][zone]:%Y-%m-%d})"
    kept = counts[~counts["zone"].isin(dropped)].reset_index(drop=True)
    return kept, dropped
