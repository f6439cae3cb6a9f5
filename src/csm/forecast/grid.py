"""Long counts ↔ a regular time grid (time × zone), with outages masked.

Outages: counting systems that fail often keep reporting zeros. A run of exact zeros lasting a
full day or more is not a quiet day but an outage, so it is treated as missing: not learnt from,
not scored, and never used as a lag. Shorter zero runs (a quiet night) are real zeros.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def steps_per(freq: str, span: str) -> int:
    return int(pd.Timedelta(span) / pd.Timedelta(freq))


def to_grid(history: pd.DataFrame, freq: str, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Wide frame: a complete UTC index at `freq`, one column per zone, NaN where absent."""
    frame = history.copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.floor(freq)
    wide = frame.pivot_table(index="timestamp", columns="zone", values="count", aggfunc="mean")
    last = end if end is not None else wide.index.max()
    index = pd.date_range(wide.index.min(), last, freq=freq)
    return wide.reindex(index).sort_index(axis=1)


def mask_outages(grid: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Runs of exact zeros of a day or longer become NaN (see module docstring)."""
    min_run = steps_per(freq, "1D")
    values = grid.to_numpy(dtype=float, copy=True)
    for col in range(values.shape[1]):
        zero = values[:, col] == 0
        if not zero.any():
            continue
        edges = np.diff(np.concatenate([[0], zero.astype(np.int8), [0]]))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        for start, stop in zip(starts, stops, strict=True):
            if stop - start >= min_run:
                values[start:stop, col] = np.nan
    return pd.DataFrame(values, index=grid.index, columns=grid.columns)
