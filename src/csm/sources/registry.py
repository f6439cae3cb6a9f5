"""Name in site.yaml `sources:` → connector class, and validation of that section.

Each key under `sources:` names one source; its `kind` (default: the key) picks the connector,
so one site can run two sources of one kind (e.g. two weather feeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from csm.site.loader import SiteProblem, pydantic_problems
from csm.site.model import Site
from csm.sources.protocol import Source, SourceSettings, local_path

SITE_FILE = "site.yaml"

# Adding a source: one module plus one line here.
CONNECTORS: dict[str, str] = {
    "gtfs": "csm.sources.gtfs:GtfsStaticSource",
    "gtfs_realtime": "csm.sources.gtfs_realtime:GtfsRealtimeSource",
    "parking_spdp": "csm.sources.parking_spdp:SpdpParkingSource",
    "traffic_ndw": "csm.sources.traffic_ndw:NdwTrafficSource",
    "weather_buienradar": "csm.sources.weather_buienradar:BuienradarSource",
    "weather_forecast_buienradar": "csm.sources.weather_forecast:BuienradarHourlyForecastSource",
    "visitors": "csm.sources.visitors:VisitorEstimateSource",
    "events": "csm.sources.events:EventsSource",
    "holidays_nl": "csm.sources.holidays_nl:HolidaysSource",
}


@dataclass(frozen=True)
class ConfiguredSource:
    name: str
    source: Source
    settings: SourceSettings

    @property
    def kind(self) -> str:
        return self.source.kind


def connector(kind: str) -> Source:
    from csm.extensions import resolve

    cls = resolve(CONNECTORS[kind])
    instance: Source = cls()
    return instance


def _problems_of(name: str, raw: Any, site: Site) -> tuple[ConfiguredSource | None, list[SiteProblem]]:
    where = f"sources.{name}"
    if not isinstance(raw, dict):
        return None, [SiteProblem(SITE_FILE, where, "expected a mapping of settings")]
    kind = raw.get("kind", name)
    if kind not in CONNECTORS:
        return None, [SiteProblem(
            SITE_FILE, f"{where}.kind" if "kind" in raw else where,
            f"unknown source kind {kind!r}; expected one of {', '.join(sorted(CONNECTORS))}",
        )]
    source = connector(kind)
    try:
        settings = source.settings_model.model_validate(raw)
    except ValidationError as exc:
        return None, pydantic_problems(SITE_FILE, where, exc)
    problems = [SiteProblem(SITE_FILE, f"{where}.{path}", msg) for path, msg in source.check(settings, site)]
    if settings.url:
        file = local_path(settings.url, site.folder)
        if file is not None and not file.exists():
            problems.append(SiteProblem(SITE_FILE, f"{where}.url", f"file not found: {file}"))
    return ConfiguredSource(name, source, settings), problems


def configured_sources(site: Site) -> list[ConfiguredSource]:
    """The site's sources, validated; invalid ones are left out (the validator reports them)."""
    found = []
    for name, raw in site.config.sources.items():
        # Cross-check problems were reported when the site loaded; a feed file that vanished
        # since then is the coordinator's to report (failing), not a reason to hide the source.
        configured, _ = _problems_of(name, raw, site)
        if configured is not None:
            found.append(configured)
    return found


def validate_sources_section(site: Site) -> list[SiteProblem]:
    """SECTION_VALIDATORS entry: every problem of `sources:` with its path, in one run."""
    problems: list[SiteProblem] = []
    for name, raw in site.config.sources.items():
        problems += _problems_of(name, raw, site)[1]
    return problems
