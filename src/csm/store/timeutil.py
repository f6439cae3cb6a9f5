"""UTC conversions at the storage boundary (DuckDB keeps naive UTC; the rest of CSM is tz-aware)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd


def to_naive_utc(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise ValueError("naive datetime at the storage boundary; expected timezone-aware UTC")
    return ts.astimezone(UTC).replace(tzinfo=None)


def from_naive_utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC)


def frame_to_utc(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Mark naive-UTC timestamp columns of a frame read from storage as UTC."""
    for col in columns:
        if col in df.columns and len(df):
            series = pd.to_datetime(df[col])
            df[col] = (
                series.dt.tz_localize("UTC") if series.dt.tz is None else series.dt.tz_convert("UTC")
            )
    return df


def frame_to_naive_utc(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    out = df.copy()
    for col in columns:
        series = pd.to_datetime(out[col], utc=True)
        out[col] = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return out
