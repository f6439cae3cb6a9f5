"""Small synthetic count histories with a daily and weekly rhythm."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_counts(days: int = 40, zones: int = 3, freq: str = "1h", start: str = "2025-01-06",
                     tz: str = "Europe/Amsterdam", seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    steps = int(days * pd.Timedelta("1D") / pd.Timedelta(freq))
    index = pd.date_range(start, periods=steps, freq=freq, tz=tz)
    hour = index.hour + index.minute / 60
    weekend = np.where(index.dayofweek >= 5, 1.6, 1.0)
    frames = []
    for z in range(zones):
        level = (40 + 30 * z) * (np.exp(-(((hour - 14) / 3.5) ** 2)) + 0.15) * weekend
        frames.append(pd.DataFrame({"timestamp": index, "zone": f"zone-{z}", "count": rng.poisson(level)}))
    return pd.concat(frames, ignore_index=True)


def write_naive_csv(frame: pd.DataFrame, path: object) -> None:
    out = frame.copy()
    out["timestamp"] = out["timestamp"].dt.tz_localize(None).map(lambda t: t.isoformat())
    out.to_csv(path, index=False)
