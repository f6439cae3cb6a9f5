"""The after-action report of the demo's hot Saturday: levels, the predicted red crossing with the
lead time achieved, a measure recorded by an operator, data availability — as HTML and PDF, over the
CLI and the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from csm.advice.engine import AdviceEngine
from csm.advice.lifecycle import ACKNOWLEDGED, MEASURE_TAKEN, PREDICTED_CROSSING
from csm.api.app import create_app
from csm.cli import app as cli
from csm.clock import FixedClock
from csm.demo.runner import backfill_until
from csm.report import build_day_report
from csm.report.render_html import render_html
from csm.report.render_pdf import render_pdf
from csm.runtime import Runtime
from csm.synthetic.day import DaySimulator
from tests.conftest import DEMO_DAY_LATE_MORNING, DEMO_SITE, TEST_SECRET, demo_morning, session_token

TZ = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 7, 18)
LATE_MORNING = DEMO_DAY_LATE_MORNING
EVENING = datetime(2026, 7, 18, 20, 0, tzinfo=TZ)
ZONE = "boulevard-kurhaus"


@pytest.fixture(scope="module")
def hot_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, DaySimulator, str]]:
    """The demo day played to 20:00: forecast and advice at 11:00, an operator's steps, the rest of the day."""
    clock = FixedClock(LATE_MORNING)
    runtime, sim = demo_morning(tmp_path_factory.mktemp("report") / "csm.duckdb", clock)
    site_runtime = runtime.sites["scheveningen"]
    engine = AdviceEngine.for_site(runtime, site_runtime)
    raised = [a for event, a in engine.evaluate(LATE_MORNING) if event == "raised"]
    red = next(a for a in raised if (a.zone_id, a.level, a.kind) == (ZONE, "red", PREDICTED_CROSSING))
    engine.book.transition(red.id, ACKNOWLEDGED, by="anna", at=LATE_MORNING + timedelta(minutes=4))
    engine.book.transition(red.id, MEASURE_TAKEN, by="anna", at=LATE_MORNING + timedelta(minutes=30),
                           note="two units to the Kurhaus steps", measure="police")
    clock.moment = EVENING.astimezone(ZoneInfo("UTC"))
    backfill_until(site_runtime, sim, EVENING)
    site_runtime.picture.rebuild_history(datetime(2026, 7, 18, 0, 0, tzinfo=TZ), EVENING)
    yield runtime, sim, red.id
    runtime.close()


def test_the_report_tells_the_day_as_it_happened(hot_day: tuple[Runtime, DaySimulator, str]) -> None:
    runtime, sim, red_id = hot_day
    site_runtime = runtime.sites["scheveningen"]
    zone = site_runtime.site.zones[ZONE]
    report = build_day_report(site_runtime.ingest.store, site_runtime.site, DAY, now=EVENING)
    assert report.has_data
    kurhaus = next(z for z in report.zones if z.zone_id == ZONE)
    assert kurhaus.highest_level == "red" and kurhaus.minutes_at["red"] > 0
    assert report.zones[0].highest_level == "red"  # the worst zones come first

    crossing = next(a for a in report.alerts if a.alert_id == red_id)
    assert crossing.predicted and crossing.expected_at is not None and crossing.probability is not None
    # The real crossing is what the picture showed: the first stored 5-minute snapshot at red.
    history = site_runtime.ingest.store.zone_history(site_runtime.site.id, LATE_MORNING, EVENING, [ZONE])
    first_red_snapshot = history[history["level"] == "red"]["ts"].min().to_pydatetime()
    assert crossing.reached_at == first_red_snapshot
    # ... which lags the simulator's own truth by no more than the picture's smoothing.
    truly_red = LATE_MORNING
    while sim.truth(ZONE, truly_red) / zone.walkable_area_m2 < zone.thresholds.red:
        truly_red += timedelta(minutes=1)
    assert timedelta(0) <= crossing.reached_at - truly_red <= timedelta(minutes=45)
    assert crossing.lead_time is not None and crossing.lead_time >= timedelta(hours=1)
    assert crossing.timing_error == crossing.reached_at - crossing.expected_at
    assert crossing.acknowledged_by == "anna"
    assert crossing.time_to_acknowledge == timedelta(minutes=4)
    (measure,) = crossing.measures
    assert measure.measure == "police" and measure.by == "anna"
    assert measure.lead == crossing.reached_at - (LATE_MORNING + timedelta(minutes=30))

    # The simulated sensors report every interval until 20:00: nothing missing before then.
    assert report.availability and all(a.received_intervals > 0 for a in report.availability)
    assert 0.5 < min(report.availability_by_kind().values()) <= 1.0


def test_html_and_pdf_carry_the_tables_and_charts(hot_day: tuple[Runtime, DaySimulator, str]) -> None:
    runtime, _, _ = hot_day
    site_runtime = runtime.sites["scheveningen"]
    report = build_day_report(site_runtime.ingest.store, site_runtime.site, DAY, now=EVENING)
    html = render_html(report)
    assert "After-action report: " in html and "2026-07-18" in html
    assert html.count("<img src='data:image/png;base64,") == 4  # levels, density, crossings, availability
    assert site_runtime.site.zones[ZONE].name in html
    assert "How well the forecast predicted each crossing" in html and "police" in html
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 2
    assert b"/Subtype /Image" in pdf


def test_csm_report_writes_html_and_pdf(hot_day: tuple[Runtime, DaySimulator, str], tmp_path: Path) -> None:
    runtime, _, _ = hot_day
    html, pdf = tmp_path / "day.html", tmp_path / "day.pdf"
    result = CliRunner().invoke(cli, ["report", "--site", str(DEMO_SITE), "--date", "2026-07-18",
                                      "--store", runtime.store.url, "--out", str(html), "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "Boulevard" in html.read_text(encoding="utf-8")
    assert pdf.read_bytes().startswith(b"%PDF-")
    empty = CliRunner().invoke(cli, ["report", "--site", str(DEMO_SITE), "--date", "2026-01-02",
                                     "--store", runtime.store.url, "--out", str(tmp_path / "quiet.html")])
    assert empty.exit_code == 0 and "no zone history" in empty.output


def test_report_over_the_api(hot_day: tuple[Runtime, DaySimulator, str], monkeypatch: pytest.MonkeyPatch) -> None:
    runtime, _, _ = hot_day
    monkeypatch.setenv("CSM_SECRET_KEY", TEST_SECRET)
    municipality = {"Authorization": f"Bearer {session_token(runtime, 'municipality', ('scheveningen',))}"}
    organiser = {"Authorization": "Bearer " + session_token(
        runtime, "event_organiser", ("scheveningen",), {"scheveningen": [ZONE]})}
    url = "/api/v1/sites/scheveningen/export/report"
    with TestClient(create_app(runtime, web_dist=None)) as client:
        pdf = client.get(url, params={"date": "2026-07-18", "format": "pdf"}, headers=municipality)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-") and "attachment" in pdf.headers["content-disposition"]
        page = client.get(url, params={"date": "2026-07-18"}, headers=municipality)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert client.get(url, params={"date": "2026-07-19"}, headers=municipality).status_code == 422
        assert client.get(url, params={"date": "2026-07-18"}, headers=organiser).status_code == 403
