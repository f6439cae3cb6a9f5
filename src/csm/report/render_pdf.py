"""The report as a PDF (reportlab): the same sections, tables and charts as the HTML page."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus.flowables import KeepTogether

from csm.report import charts
from csm.report.data import DayReport
from csm.report.tables import Table, alert_table, availability_table, crossing_table, key_figures, zone_table

_PAGE = landscape(A4)
_WIDTH = _PAGE[0] - 3 * cm


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    return {
        "title": sheet["Title"],
        "h2": sheet["Heading2"],
        "body": sheet["BodyText"],
        "cell": ParagraphStyle("cell", parent=sheet["BodyText"], fontSize=8, leading=10),
        "note": ParagraphStyle("note", parent=sheet["BodyText"], textColor=colors.HexColor("#444444")),
    }


def _table(table: Table, empty: str, styles: dict[str, ParagraphStyle]) -> Flowable:
    header, rows = table
    if not rows:
        return Paragraph(escape(empty), styles["note"])
    cell = styles["cell"]
    data = [[Paragraph(f"<b>{escape(h)}</b>", cell) for h in header]] if header else []
    data += [[Paragraph(escape(value), cell) for value in row] for row in rows]
    columns = len(rows[0])
    flowable = LongTable(data, repeatRows=1 if header else 0, colWidths=[_WIDTH / columns] * columns)
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")))
    flowable.setStyle(TableStyle(style))
    return flowable


def _image(png: bytes | None, max_height: float = 12 * cm) -> Flowable | None:
    if png is None:
        return None
    image = Image(io.BytesIO(png))
    scale = min(_WIDTH / image.imageWidth, max_height / image.imageHeight)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return image


def render_pdf(report: DayReport) -> bytes:
    """A4 landscape, numbered pages; returns the PDF bytes."""
    styles = _styles()
    day = report.day.isoformat()
    generated = pd.Timestamp(report.generated_at).tz_convert(report.timezone).strftime("%Y-%m-%d %H:%M")
    story: list[Flowable] = [
        Paragraph(escape(f"After-action report: {report.site_name}, {day}"), styles["title"]),
        Paragraph(escape(f"Crowd Safety Manager · site {report.site_id} · times in {report.timezone} · "
                         f"generated {generated}. Aggregated counts only; no personal data."), styles["note"]),
        Paragraph("The day in brief", styles["h2"]),
        _table(([], [[k, v] for k, v in key_figures(report)]), "", styles),
    ]

    def section(title: str, *items: Flowable | None) -> None:
        present = [item for item in items if item is not None]
        story.append(KeepTogether([Paragraph(escape(title), styles["h2"]), *present[:1]]))
        story.extend(present[1:])
        story.append(Spacer(1, 0.3 * cm))

    if report.has_data:
        section("Levels per zone", _image(charts.level_timeline(report)),
                _table(zone_table(report), "No zones.", styles))
        section("Busiest zones", _image(charts.busiest_zones_density(report)))
        lead_chart = _image(charts.forecast_lead_times(report))
    else:
        story.append(Paragraph("No zone history was recorded for this day.", styles["note"]))
        lead_chart = None
    section("How well the forecast predicted each crossing", lead_chart,
            _table(crossing_table(report), "No crossings were predicted on this day.", styles))
    section("Alerts and measures", _table(alert_table(report), "No alerts on this day.", styles))
    section("Data availability", _image(charts.availability(report), 7 * cm) if report.availability else None,
            _table(availability_table(report), "No sensors configured.", styles))

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(_PAGE[0] - 1.5 * cm, 1 * cm,
                               f"{report.site_name} {day} · page {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=_PAGE, leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.5 * cm,
                            title=f"After-action report {report.site_name} {day}", author="Crowd Safety Manager")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
