"""The report as one self-contained HTML page (charts inlined), readable offline and printable."""

from __future__ import annotations

import base64
from html import escape

import pandas as pd

from csm.report import charts
from csm.report.data import DayReport
from csm.report.tables import Table, alert_table, availability_table, crossing_table, key_figures, zone_table

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24;margin:2rem auto;
max-width:1100px;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
.meta{color:#444}table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}
th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#eef1f4}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:600}img{max-width:100%}.note{color:#444;font-size:.9rem}
@media print{body{margin:0}h2{break-after:avoid}img,table{break-inside:avoid}}
"""


def _table(table: Table, empty: str) -> str:
    header, rows = table
    if not rows:
        return f"<p class='note'>{escape(empty)}</p>"
    head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(png: bytes | None, alt: str) -> str:
    if png is None:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return f"<figure><img src='data:image/png;base64,{data}' alt='{escape(alt)}'></figure>"


def render_html(report: DayReport) -> str:
    """The whole report; charts only when there is a day's history to draw."""
    day = report.day.isoformat()
    generated = pd.Timestamp(report.generated_at).tz_convert(report.timezone).strftime("%Y-%m-%d %H:%M")
    figures = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in key_figures(report))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>After-action report {escape(report.site_name)} {day}</title><style>{_CSS}</style></head><body>",
        f"<h1>After-action report: {escape(report.site_name)}, {day}</h1>",
        f"<p class='meta'>Crowd Safety Manager · site <code>{escape(report.site_id)}</code> · times in "
        f"{escape(report.timezone)} · generated {generated}. Aggregated counts only; no personal data.</p>",
        f"<h2>The day in brief</h2><dl>{figures}</dl>",
    ]
    if not report.has_data:
        parts.append("<p class='note'>No zone history was recorded for this day.</p>")
    else:
        parts += [
            "<h2>Levels per zone</h2>",
            _image(charts.level_timeline(report), "Level of each zone through the day"),
            _table(zone_table(report), "No zones."),
            "<h2>Busiest zones</h2>",
            _image(charts.busiest_zones_density(report), "Density of the busiest zones against their thresholds"),
        ]
    parts += [
        "<h2>How well the forecast predicted each crossing</h2>",
        _image(charts.forecast_lead_times(report) if report.has_data else None,
               "Warnings, forecast and real crossing times"),
        _table(crossing_table(report), "No crossings were predicted on this day."),
        "<h2>Alerts and measures</h2>",
        _table(alert_table(report), "No alerts on this day."),
        "<h2>Data availability</h2>",
        _image(charts.availability(report), "Share of expected counting intervals received per kind of sensor")
        if report.availability else "",
        _table(availability_table(report), "No sensors configured."),
        "</body></html>",
    ]
    return "".join(parts)
