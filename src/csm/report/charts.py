"""The report's charts as PNG bytes (matplotlib, no display needed).

Levels are told by colour and by letter (G/Y/O/R) so a printed copy reads in grey scale and for
colour-blind readers.
"""

from __future__ import annotations

import io
from datetime import datetime

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from csm.report.data import HISTORY_STEP, DayReport

LEVEL_COLOURS = {"unknown": "#bdbdbd", "green": "#3b8f3b", "yellow": "#f2d13d", "orange": "#e07b24",
                 "red": "#b2182b"}
LEVEL_LETTERS = {"unknown": "?", "green": "G", "yellow": "Y", "orange": "O", "red": "R"}
_ORDER = ["unknown", "green", "yellow", "orange", "red"]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _local(report: DayReport, ts: datetime) -> datetime:
    return pd.Timestamp(ts).tz_convert(report.timezone).tz_localize(None).to_pydatetime()


def level_timeline(report: DayReport, max_zones: int = 24) -> bytes:
    """Zones down, the day across, each 5-minute snapshot in its level's colour; alerts as ticks."""
    zones = report.zones[:max_zones]
    slots = pd.date_range(report.start, report.end, freq=HISTORY_STEP, inclusive="left")
    grid = np.zeros((len(zones), len(slots)))
    history = report.history.copy()
    history["slot"] = history["ts"].dt.floor(HISTORY_STEP)
    for row, zone in enumerate(zones):
        levels = history[history["zone_id"] == zone.zone_id].set_index("slot")["level"]
        levels = levels[~levels.index.duplicated(keep="last")].reindex(slots)
        grid[row] = [_ORDER.index(v) if isinstance(v, str) and v in _ORDER else 0 for v in levels]
    fig, ax = plt.subplots(figsize=(11, 0.32 * len(zones) + 1.6))
    cmap = ListedColormap([LEVEL_COLOURS[name] for name in _ORDER])
    x0, x1 = mdates.date2num(_local(report, report.start)), mdates.date2num(_local(report, report.end))
    ax.imshow(grid, aspect="auto", cmap=cmap, norm=BoundaryNorm(np.arange(-0.5, 5.5), cmap.N),
              extent=(x0, x1, len(zones) - 0.5, -0.5), interpolation="nearest")
    # A letter where a zone enters a level, so the chart reads without colour.
    for row in range(len(zones)):
        previous = None
        for col, value in enumerate(grid[row]):
            if value != previous and value >= 2:
                ax.text(x0 + (x1 - x0) * (col + 0.5) / len(slots), row, LEVEL_LETTERS[_ORDER[int(value)]],
                        ha="center", va="center", fontsize=7, color="black" if value < 4 else "white")
            previous = value
    row_of = {z.zone_id: i for i, z in enumerate(zones)}
    for alert in report.alerts:
        if alert.zone_id in row_of:
            ax.plot(mdates.date2num(_local(report, alert.raised_at)), row_of[alert.zone_id], marker="v",
                    color="black", markersize=5)
    ax.set_yticks(range(len(zones)), [z.name for z in zones], fontsize=8)
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.set_title("Level per zone through the day (▼ alert raised; a letter marks each change to Y, O or R)",
                 fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=LEVEL_COLOURS[n]) for n in _ORDER]
    ax.legend(handles, [f"{LEVEL_LETTERS[n]} {n}" for n in _ORDER], loc="upper center", ncol=5, fontsize=8,
              bbox_to_anchor=(0.5, -0.08), frameon=False)
    return _png(fig)


def busiest_zones_density(report: DayReport, count: int = 4) -> bytes:
    """Density of the busiest zones, with each zone's own orange and red thresholds."""
    zones = [z for z in report.zones if z.peak_density is not None][:count]
    fig, axes = plt.subplots(len(zones) or 1, 1, figsize=(11, 1.9 * max(1, len(zones))), sharex=True,
                             squeeze=False)
    for ax, zone in zip(axes[:, 0], zones, strict=False):
        rows = report.history[report.history["zone_id"] == zone.zone_id]
        times = [_local(report, t) for t in rows["ts"]]
        ax.plot(times, rows["density"], color="#1f3b73", linewidth=1.4)
        limits = report.thresholds.get(zone.zone_id, {})
        for level, style in (("orange", "--"), ("red", "-.")):
            if level in limits:
                ax.axhline(limits[level], color=LEVEL_COLOURS[level], linestyle=style, linewidth=1.2,
                           label=f"{level} ≥ {limits[level]:.2f}")
        ax.set_ylabel("p/m²", fontsize=8)
        ax.set_title(zone.name, fontsize=9, loc="left")
        ax.legend(fontsize=7, loc="center left", frameon=False)
        ax.grid(alpha=0.3)
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    fig.suptitle("Density of the busiest zones (persons per m² walkable)", fontsize=10)
    return _png(fig)


def forecast_lead_times(report: DayReport) -> bytes | None:
    """Each predicted crossing: warned (bar start) → forecast time (◆) → real crossing (bar end)."""
    crossings = report.predicted_crossings()
    if not crossings:
        return None
    fig, ax = plt.subplots(figsize=(11, 0.35 * len(crossings) + 1.4))
    for row, c in enumerate(crossings):
        raised = mdates.date2num(_local(report, c.raised_at))
        colour = LEVEL_COLOURS.get(c.level, "#777777")
        if c.reached_at is not None:
            ax.barh(row, mdates.date2num(_local(report, c.reached_at)) - raised, left=raised, color=colour,
                    edgecolor="black", height=0.5)
        else:
            ax.plot(raised, row, marker="|", color="black", markersize=12)
        if c.expected_at is not None:
            ax.plot(mdates.date2num(_local(report, c.expected_at)), row, marker="D", color="black", markersize=5)
    ax.set_yticks(range(len(crossings)),
                  [f"{c.zone_name} → {c.level} ({LEVEL_LETTERS.get(c.level, '?')})" for c in crossings], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Predicted crossings: bar from warning to the real crossing, ◆ forecast time "
                 "(no bar: the level was not reached)", fontsize=10)
    return _png(fig)


def availability(report: DayReport) -> bytes:
    """Share of expected counting intervals received, per kind of sensor."""
    shares = report.availability_by_kind()
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(1, len(shares)) + 1.0))
    kinds = sorted(shares)
    values = [100 * shares[k] for k in kinds]
    ax.barh(kinds, values, color=["#3b8f3b" if v >= 95 else "#e07b24" if v >= 80 else "#b2182b" for v in values])
    for y, v in enumerate(values):
        ax.text(min(v + 1, 92), y, f"{v:.0f} %", va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of expected intervals received")
    ax.set_title("Data availability by kind of sensor", fontsize=10)
    return _png(fig)
