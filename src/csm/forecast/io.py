"""The CSV contract of `csm forecast` / `csm backtest`.

Input: long format `timestamp,zone,count` (ISO 8601; naive = site local time; gaps are absent rows).
Output: `zone,timestamp,p10,p50,p90`, timestamps written in the input's style (naive stays naive
local time, offsets stay offsets, `Z` stays `Z`).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd

REQUIRED = ("timestamp", "zone", "count")
# Capitals' timezones, for naive timestamps when only a country is known.
COUNTRY_TIMEZONES = {
    "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "DE": "Europe/Berlin", "FR": "Europe/Paris",
    "GB": "Europe/London", "NZ": "Pacific/Auckland", "AU": "Australia/Sydney", "US": "America/New_York",
    "ES": "Europe/Madrid", "IT": "Europe/Rome", "DK": "Europe/Copenhagen", "SE": "Europe/Stockholm",
}


class ForecastInputError(ValueError):
    """A problem in an input file, with file, row and column."""


@dataclass(frozen=True, slots=True)
class TimestampStyle:
    """How the input wrote its timestamps, so the output can write them the same way."""

    naive: bool
    tz: ZoneInfo
    zulu: bool = False

    def format(self, moment: pd.Timestamp) -> str:
        local = moment.tz_convert(self.tz)
        if self.naive:
            return local.tz_localize(None).isoformat()
        if self.zulu:
            return moment.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
        return local.isoformat()


def timezone_for(country: str | None, tz: str | None = None) -> ZoneInfo:
    if tz:
        return ZoneInfo(tz)
    return ZoneInfo(COUNTRY_TIMEZONES.get((country or "").upper().partition("-")[0], "UTC"))


def read_counts_csv(path: Path, tz: ZoneInfo) -> tuple[pd.DataFrame, TimestampStyle]:
    """Read and check a counts file; returns (timestamp UTC, zone, count) and the timestamp style.

    Every row is checked; the first problems found are reported with row and column numbers.
    A clean file is read column-wise (a million rows in seconds); a file with any problem is
    read again row by row so each problem is named with its row number.
    """
    if not path.is_file():
        raise ForecastInputError(f"{path}: file not found")
    clean = _read_clean(path, tz)
    if clean is not None:
        return clean
    return _read_checking_each_row(path, tz)


def _read_clean(path: Path, tz: ZoneInfo) -> tuple[pd.DataFrame, TimestampStyle] | None:
    """The column-wise path (DuckDB's CSV reader): None as soon as anything is unusual, and the
    row-wise reader then explains what."""
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        return None
    names = {h.strip().lower(): h for h in header}
    if any(c not in names for c in REQUIRED):
        return None
    ts, zone, count = (_quoted(names[c]) for c in REQUIRED)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            f"""
            WITH raw AS (
                SELECT trim({ts}) AS ts, trim({zone}) AS zone, trim({count}) AS count_text
                FROM read_csv(?, all_varchar = true, header = true, strict_mode = true)
            )
            SELECT zone, try_cast(count_text AS DOUBLE) AS count,
                   regexp_matches(ts, '(Z|[+-][0-9][0-9]:?[0-9][0-9])$') AS has_offset,
                   ends_with(ts, 'Z') AS zulu,
                   CASE WHEN regexp_matches(ts, '(Z|[+-][0-9][0-9]:?[0-9][0-9])$')
                        THEN try_cast(ts AS TIMESTAMPTZ) END AS aware,
                   CASE WHEN NOT regexp_matches(ts, '(Z|[+-][0-9][0-9]:?[0-9][0-9])$')
                        THEN try_cast(ts AS TIMESTAMP) END AS naive
            FROM raw
            """,
            [str(path)],
        ).df()
    except duckdb.Error:
        return None
    finally:
        con.close()
    if rows.empty or rows["zone"].isna().any() or (rows["zone"] == "").any():
        return None
    counts = rows["count"]
    if counts.isna().any() or not np.isfinite(counts).all() or (counts < 0).any():
        return None
    has_offset = rows["has_offset"].astype(bool)
    if has_offset.any() and not has_offset.all():
        return None
    if has_offset.all():
        stamps = rows["aware"]
    else:
        # Like the row-wise reader: the repeated autumn hour is read as summer time (and then
        # averaged with its twin); a skipped spring hour moves forward.
        stamps = rows["naive"].dt.tz_localize(tz, ambiguous=np.ones(len(rows), dtype=bool),
                                              nonexistent="shift_forward").dt.tz_convert("UTC")
    if stamps.isna().any():
        return None
    frame = pd.DataFrame({"timestamp": stamps.astype("datetime64[ns, UTC]"), "zone": rows["zone"],
                          "count": counts.astype(float)})
    frame = frame.groupby(["zone", "timestamp"], as_index=False)["count"].mean()
    naive = not bool(has_offset.any())
    return frame, TimestampStyle(naive=naive, tz=tz, zulu=not naive and bool(rows["zulu"].any()))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_checking_each_row(path: Path, tz: ZoneInfo) -> tuple[pd.DataFrame, TimestampStyle]:
    problems: list[str] = []
    stamps: list[datetime] = []
    zones: list[str] = []
    counts: list[float] = []
    naive_seen = aware_seen = zulu_seen = False
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ForecastInputError(f"{path}: empty file; expected a header {','.join(REQUIRED)}")
        header = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ForecastInputError(
                f"{path}: row 1: missing column(s) {', '.join(missing)}; expected header {','.join(REQUIRED)}"
            )
        index = {name: header.index(name) for name in REQUIRED}
        for line, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                problems.append(f"{path}: row {line}: expected {len(header)} columns, got {len(row)}")
                continue
            raw_ts, zone, raw_count = (row[index[c]].strip() for c in REQUIRED)
            try:
                moment = datetime.fromisoformat(raw_ts.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{path}: row {line}, column timestamp: not ISO 8601: {raw_ts[:40]!r}")
                continue
            if moment.tzinfo is None:
                naive_seen = True
                moment = moment.replace(tzinfo=tz)
            else:
                aware_seen = True
                zulu_seen = zulu_seen or raw_ts.endswith("Z")
            if not zone:
                problems.append(f"{path}: row {line}, column zone: empty")
                continue
            try:
                value = float(raw_count)
            except ValueError:
                problems.append(f"{path}: row {line}, column count: not a number: {raw_count[:20]!r}")
                continue
            if not math.isfinite(value) or value < 0:
                problems.append(f"{path}: row {line}, column count: expected a count ≥ 0, got {raw_count!r}")
                continue
            stamps.append(moment.astimezone(UTC))
            zones.append(zone)
            counts.append(value)
            if len(problems) >= 10:
                break
    if naive_seen and aware_seen:
        problems.append(f"{path}: column timestamp: mixes naive and offset timestamps; use one style")
    if problems:
        raise ForecastInputError("\n".join(problems[:10]))
    if not stamps:
        raise ForecastInputError(f"{path}: no data rows")
    frame = pd.DataFrame({"timestamp": pd.to_datetime(stamps, utc=True), "zone": zones, "count": counts})
    # A repeated (zone, timestamp) — e.g. the doubled hour when clocks go back, written naive — is
    # one interval measured twice: keep their mean rather than refuse the file.
    frame = frame.groupby(["zone", "timestamp"], as_index=False)["count"].mean()
    return frame, TimestampStyle(naive=naive_seen, tz=tz, zulu=zulu_seen and not naive_seen)


def read_weather_csv(path: Path, tz: ZoneInfo) -> pd.DataFrame:
    """`timestamp` plus any of temperature_c, precipitation_mm, sunshine_pct, wind_ms."""
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ForecastInputError(f"{path}: unreadable weather file: {exc}") from exc
    if "timestamp" not in frame.columns:
        raise ForecastInputError(f"{path}: row 1: missing column timestamp")
    known = [c for c in ("temperature_c", "precipitation_mm", "sunshine_pct", "wind_ms") if c in frame.columns]
    if not known:
        raise ForecastInputError(
            f"{path}: row 1: expected at least one of temperature_c, precipitation_mm, sunshine_pct, wind_ms"
        )
    try:
        stamps = pd.to_datetime(frame["timestamp"], format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise ForecastInputError(f"{path}: column timestamp: {exc}") from exc
    stamps = stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward") if stamps.dt.tz is None \
        else stamps
    out = pd.DataFrame({"timestamp": stamps.dt.tz_convert("UTC")})
    for column in known:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            row = int(bad.idxmax()) + 2
            raise ForecastInputError(f"{path}: row {row}, column {column}: not a number")
        out[column] = values
    if "temperature_c" in out and ((out["temperature_c"] < -50) | (out["temperature_c"] > 60)).any():
        raise ForecastInputError(f"{path}: column temperature_c: values outside −50..60 °C (wrong unit?)")
    return out.dropna(subset=["timestamp"])


def write_forecast_csv(frame: pd.DataFrame, path: Path, style: TimestampStyle) -> None:
    out = pd.DataFrame(
        {
            "zone": frame["zone"],
            "timestamp": [style.format(ts) for ts in frame["timestamp"]],
            "p10": frame["p10"].round(2),
            "p50": frame["p50"].round(2),
            "p90": frame["p90"].round(2),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)


# Covariate CSVs for `--events`, `--pt-disruptions`, `--parking`: required and optional columns
# (docs/forecasting.md, csm.forecast.covariates).
COVARIATE_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "events": (("timestamp", "expected_visitors"), ("zone", "distance_m")),
    "pt_disruptions": (("timestamp", "severity"), ("zone",)),
    "parking": (("timestamp", "occupancy"), ("zone",)),
}


def read_covariate_csv(path: Path, kind: str, tz: ZoneInfo) -> pd.DataFrame:
    """One covariate file (see COVARIATE_COLUMNS) with UTC timestamps; naive = local time of `tz`."""
    required, optional = COVARIATE_COLUMNS[kind]
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ForecastInputError(f"{path}: unreadable {kind} file: {exc}") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ForecastInputError(f"{path}: row 1: missing column(s) {', '.join(missing)}")
    try:
        stamps = pd.to_datetime(frame["timestamp"], format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise ForecastInputError(f"{path}: column timestamp: {exc}") from exc
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    out = pd.DataFrame({"timestamp": stamps.dt.tz_convert("UTC")})
    for column in (*required[1:], *[c for c in optional if c in frame.columns and c != "zone"]):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            raise ForecastInputError(f"{path}: row {int(bad.idxmax()) + 2}, column {column}: not a number")
        out[column] = values
    if "zone" in frame.columns:
        out["zone"] = frame["zone"].where(frame["zone"].notna(), None)
    return out.dropna(subset=["timestamp"])
