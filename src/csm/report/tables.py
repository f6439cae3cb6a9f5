"""The report's figures and tables as plain rows of text, shared by the HTML and the PDF renderer."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median

import pandas as pd

from csm.report.data import DayReport

Table = tuple[list[str], list[list[str]]]  # header, rows


def clock(report: DayReport, ts: datetime | None) -> str:
    """Local wall-clock time of the site, as operators read it."""
    if ts is None:
        return "–"
    return pd.Timestamp(ts).tz_convert(report.timezone).strftime("%H:%M")


def duration(delta: timedelta | None, signed: bool = False) -> str:
    if delta is None:
        return "–"
    minutes = round(delta.total_seconds() / 60)
    sign = ("+" if minutes > 0 else "−" if minutes < 0 else "±") if signed else ("−" if minutes < 0 else "")
    minutes = abs(minutes)
    return f"{sign}{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{sign}{minutes} min"


def _hours(minutes: float) -> str:
    return "–" if minutes <= 0 else f"{minutes / 60:.1f} h"


def key_figures(report: DayReport) -> list[tuple[str, str]]:
    """The day in a few lines, for the first page."""
    reached = [z for z in report.zones if z.highest_level in ("orange", "red")]
    crossings = report.predicted_crossings()
    happened = [c for c in crossings if c.reached_at is not None]
    leads = [c.lead_time for c in happened if c.lead_time is not None]
    errors = [abs(c.timing_error) for c in happened if c.timing_error is not None]
    acks = [a.time_to_acknowledge for a in report.alerts if a.time_to_acknowledge is not None]
    measures = sum(len(a.measures) for a in report.alerts)
    by_kind = report.availability_by_kind()
    overall = (sum(a.received_intervals for a in report.availability)
               / max(1, sum(a.expected_intervals for a in report.availability)))
    return [
        ("Zones that reached orange or red", f"{len(reached)} of {len(report.zones)}"
         + (f" ({', '.join(z.name for z in reached[:6])}{', …' if len(reached) > 6 else ''})" if reached else "")),
        ("Alerts raised", f"{len(report.alerts)} ({len(crossings)} predicted ahead, "
         f"{len(report.alerts) - len(crossings)} on the live picture)"),
        ("Predicted crossings that happened", f"{len(happened)} of {len(crossings)}"),
        ("Median warning before the real crossing", duration(timedelta(seconds=median(
            d.total_seconds() for d in leads))) if leads else "–"),
        ("Median error of the forecast crossing time", duration(timedelta(seconds=median(
            d.total_seconds() for d in errors))) if errors else "–"),
        ("Median time to acknowledge", duration(timedelta(seconds=median(
            d.total_seconds() for d in acks))) if acks else "–"),
        ("Measures recorded", str(measures)),
        ("Counting data received", f"{100 * min(1.0, overall):.0f} % of expected intervals"
         + (f" (lowest: {min(by_kind, key=lambda k: by_kind[k])} {100 * min(by_kind.values()):.0f} %)"
            if by_kind else "")),
    ]


def zone_table(report: DayReport) -> Table:
    header = ["Zone", "Highest", "Green", "Yellow", "Orange", "Red", "Peak p/m²", "Peak at", "Stale"]
    rows = [
        [z.name, z.highest_level, _hours(z.minutes_at.get("green", 0)), _hours(z.minutes_at.get("yellow", 0)),
         _hours(z.minutes_at.get("orange", 0)), _hours(z.minutes_at.get("red", 0)),
         "–" if z.peak_density is None else f"{z.peak_density:.2f}", clock(report, z.peak_at),
         f"{100 * z.stale_share:.0f} %"]
        for z in report.zones
    ]
    return header, rows


def crossing_table(report: DayReport) -> Table:
    header = ["Zone", "Level", "Warned", "Forecast", "Chance", "Real", "Warning ahead", "Forecast error"]
    rows = [
        [c.zone_name, c.level, clock(report, c.raised_at), clock(report, c.expected_at),
         "–" if c.probability is None else f"{100 * c.probability:.0f} %",
         clock(report, c.reached_at) if c.reached_at else "not reached",
         duration(c.lead_time), duration(c.timing_error, signed=True)]
        for c in report.predicted_crossings()
    ]
    return header, rows


def alert_table(report: DayReport) -> Table:
    header = ["Raised", "Zone", "Level", "Kind", "Acknowledged", "Measures (lead before crossing)", "Resolved"]
    rows = []
    for a in report.alerts:
        measures = "; ".join(
            f"{m.measure or 'measure'} {clock(report, m.at)} by {m.by or '?'}"
            + (f" ({duration(m.lead)} ahead)" if m.lead is not None and m.lead.total_seconds() > 0 else "")
            for m in a.measures
        ) or "–"
        rows.append([
            clock(report, a.raised_at), a.zone_name, a.level, "predicted" if a.predicted else "live",
            f"{clock(report, a.acknowledged_at)} {a.acknowledged_by or ''}".strip() if a.acknowledged_at else "–",
            measures,
            f"{clock(report, a.resolved_at)} {a.resolved_by or ''}".strip() if a.resolved_at else "open",
        ])
    return header, rows


def availability_table(report: DayReport) -> Table:
    header = ["Sensor", "Kind", "Zone", "Received", "Expected", "Share"]
    rows = [
        [a.sensor_id, a.kind, a.zone_id, str(a.received_intervals), str(a.expected_intervals),
         f"{100 * a.share:.0f} %"]
        for a in sorted(report.availability, key=lambda a: (a.share, a.sensor_id))
    ]
    return header, rows
