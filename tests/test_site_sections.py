"""site.yaml sections are typed: the demo section is checked field by field, sections nothing
reads (roles, events at top level) are refused instead of silently ignored."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from csm.site.loader import validate_site_dir
from tests.conftest import TINY_SITE, TINY_ZONES, write_site


def problems_of(tmp_path: Path, **extra: object) -> list[str]:
    folder = write_site(tmp_path / "site", {**TINY_SITE, **extra}, TINY_ZONES)
    return [str(p) for p in validate_site_dir(folder)[1]]


def test_the_demo_section_is_typed(tmp_path: Path) -> None:
    folder = write_site(tmp_path / "ok", {**TINY_SITE, "demo": {
        "date": "2026-07-18", "start": "09:30", "temperature_c": 28, "peaks": {"plein": {"density": 1.2}}}}, TINY_ZONES)
    site, problems = validate_site_dir(folder)
    assert problems == [] and site is not None
    demo = site.config.demo
    assert demo.date == date(2026, 7, 18) and demo.start == time(9, 30) and demo.temperature_c == 28
    assert demo.peaks["plein"].density == 1.2 and demo.peaks["plein"].profile == "boulevard"


def test_demo_mistakes_are_reported_with_their_location(tmp_path: Path) -> None:
    found = problems_of(tmp_path, demo={"date": "18-07-2026", "temprature_c": 30, "peaks": {"plein": {"density": -1}}})
    assert any("demo.date" in p for p in found)
    assert any("demo.temprature_c" in p for p in found)
    assert any("demo.peaks.plein.density" in p for p in found)


def test_sections_nothing_reads_are_refused(tmp_path: Path) -> None:
    found = problems_of(tmp_path, roles={"police": ["*"]}, events=[{"name": "x"}])
    assert any("roles" in p for p in found) and any("events" in p for p in found)
