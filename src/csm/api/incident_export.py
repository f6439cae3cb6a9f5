"""The incident log as files the control room files away: CSV (one row per step) and a PDF
report (a table per day, printable), both from the same rows the page shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

CSV_COLUMNS = ("time", "zone", "level", "kind", "step", "actor", "measure", "note", "alert_id", "message")
STEP_WORDS = {"raised": "raised", "acknowledged": "acknowledged", "measure_taken": "measure taken",
              "resolved": "resolved"}


class IncidentEntry(BaseModel):
    """One step of one alert: who did what, when."""

    at: datetime
    alert_id: str
    zone_id: str
    zone_name: str
    level: str
    kind: str
    step: str
    actor: str
    measure: str | None = None
    measure_text: str | None = None
    note: str | None = None
    message: str


class IncidentLog(BaseModel):
    site: str
    site_name: str
    day: str
    timezone: str
    generated_at: datetime
    generated_by: str
    entries: list[IncidentEntry]


def _local(at: datetime, tz: str) -> str:
    return at.astimezone(ZoneInfo(tz)).strftime("%H:%M:%S")


def _row(entry: IncidentEntry, tz: str) -> list[str]:
    return [_local(entry.at, tz), entry.zone_name, entry.level, entry.kind.replace("_", " "),
            STEP_WORDS.get(entry.step, entry.step), entry.actor, entry.measure_text or entry.measure or "",
            entry.note or "", entry.alert_id, entry.message]


def incident_csv(log: IncidentLog) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in log.entries:
        writer.writerow(_row(entry, log.timezone))
    return out.getvalue()


def incident_pdf(log: IncidentLog, filters: Sequence[str] = ()) -> bytes:
    """A landscape A4 report: title, who made it and when, the filters, and the table of steps."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"Incident log {log.site_name} {log.day}", author=log.generated_by)
    made = log.generated_at.astimezone(ZoneInfo(log.timezone)).strftime("%Y-%m-%d %H:%M")
    story = [
        Paragraph(f"Incident log · {_escape(log.site_name)} · {log.day}", styles["Title"]),
        Paragraph(f"Made {made} ({log.timezone}) by {_escape(log.generated_by)}; {len(log.entries)} steps."
                  + (f" Filters: {_escape(', '.join(filters))}." if filters else ""), styles["Normal"]),
        Spacer(1, 4 * mm),
    ]
    header: list[object] = ["Time", "Zone", "Level", "Step", "Actor", "Measure", "Note", "Alert"]
    rows: list[list[object]] = [header]
    for e in log.entries:
        rows.append([_local(e.at, log.timezone), Paragraph(_escape(e.zone_name), cell), e.level,
                     STEP_WORDS.get(e.step, e.step), Paragraph(_escape(e.actor), cell),
                     Paragraph(_escape(e.measure_text or e.measure or ""), cell),
                     Paragraph(_escape(e.note or ""), cell), Paragraph(_escape(e.message), cell)])
    if len(rows) == 1:
        rows.append(["", "no steps on this day", "", "", "", "", "", ""])
    widths = [18 * mm, 32 * mm, 16 * mm, 24 * mm, 28 * mm, 50 * mm, 45 * mm, 60 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8), ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde3ea")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa7b4")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(table)
    doc.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
