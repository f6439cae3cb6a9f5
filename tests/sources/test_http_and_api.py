"""HTTP fetch against a real local server; the status and covariate API; the sources validator;
calendar covariates for the forecaster."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from csm.site.loader import validate_site_dir
from csm.sources.coordinator import coordinators_of
from csm.sources.events import calendar_covariates
from tests.conftest import AuthedClient
from tests.sources.conftest import coordinator_of, fixture_sources, write_sources


def http_runtime(source_site: Path, tmp_path: Path, clock: FixedClock, base: str) -> Runtime:
    sources = fixture_sources(base)
    sources.pop("gtfs")  # a folder, not one file: served as a zip in production
    write_sources(source_site, sources)
    return build_runtime([source_site], f"duckdb:{tmp_path / 'h.duckdb'}", clock=clock)


def test_http_sources_against_a_real_server(http_fixtures: str, source_site: Path, tmp_path: Path,
                                            clock: FixedClock) -> None:
    rt = http_runtime(source_site, tmp_path, clock, http_fixtures)
    coordinator = coordinator_of(rt)
    statuses = {name: coordinator.poll(name).status for name in coordinator.states}
    assert statuses == dict.fromkeys(statuses, "ok")
    rt.close()


def test_http_500_is_retried_then_succeeds(http_fixtures: str, source_site: Path, tmp_path: Path,
                                           clock: FixedClock) -> None:
    rt = http_runtime(source_site, tmp_path, clock, f"{http_fixtures}/fail/2")
    sleeps: list[float] = []
    coordinator = coordinator_of(rt, sleeps)
    settings = coordinator.states["weather"].configured.settings
    coordinator.states["weather"].configured = coordinator.states["weather"].configured.__class__(
        "weather", coordinator.states["weather"].configured.source, settings.model_copy(update={"retries": 2}))
    assert coordinator.poll("weather").status == "ok"
    assert len(sleeps) == 2
    failing = coordinator.poll("traffic")  # no retries configured: the first 500 fails the poll
    assert failing.status == "failing" and "HTTP 500" in (failing.last_error or "")
    rt.close()


def test_http_timeout_is_a_clear_error(http_fixtures: str, source_site: Path, tmp_path: Path,
                                       clock: FixedClock) -> None:
    sources = fixture_sources(f"{http_fixtures}/slow")
    write_sources(source_site, {"weather": {**sources["weather"], "timeout_seconds": 0.3}})
    rt = build_runtime([source_site], f"duckdb:{tmp_path / 't.duckdb'}", clock=clock)
    status = coordinator_of(rt).poll("weather")
    assert status.status == "failing" and "timeout after 0.3 s" in (status.last_error or "")
    rt.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[AuthedClient]:
    coordinator = coordinators_of(runtime)["scheveningen"]  # the one the API reads
    for name in coordinator.states:
        coordinator.poll(name)
    with TestClient(create_app(runtime, web_dist=None)) as test_client:
        yield AuthedClient(test_client, runtime, site="scheveningen")


def test_sources_status_endpoint(client: AuthedClient) -> None:
    body = client.get("/api/v1/sites/scheveningen/sources").json()  # type: ignore[attr-defined]
    assert {s["name"]: s["status"] for s in body}["parking"] == "ok"
    first = body[0]
    assert set(first) == {"name", "kind", "status", "last_success", "last_attempt", "last_error", "age_seconds",
                          "summary"}


def test_covariate_endpoints(client: AuthedClient) -> None:
    weather = client.get("/api/v1/sites/scheveningen/weather").json()  # type: ignore[attr-defined]
    assert weather["observed"]["temperature_c"]["latest"]["value"] == 27.8
    assert weather["forecast"]["temperature_c"]["series"]
    assert weather["station"]["station_id"] == 6330
    parking = {f["id"]: f for f in client.get("/api/v1/sites/scheveningen/parking").json()["facilities"]}  # type: ignore[attr-defined]
    assert parking["kurhaus"]["name"] == "Parkeergarage Kurhaus"
    assert parking["kurhaus"]["zones"] == ["gevers-deynootplein", "boulevard-kurhaus"]
    assert parking["kurhaus"]["metrics"]["occupied"]["latest"]["value"] == 712
    transit = {s["stop_id"]: s for s in client.get("/api/v1/sites/scheveningen/transit").json()["stops"]}  # type: ignore[attr-defined]
    assert transit["2232101"]["name"] == "Kurhaus" and transit["2232101"]["routes"] == ["1", "9"]
    assert transit["2232101"]["metrics"]["arrivals"]["series"]
    traffic = client.get("/api/v1/sites/scheveningen/traffic").json()["measurement_sites"]  # type: ignore[attr-defined]
    assert {t["road"] for t in traffic} == {"Scheveningseweg", "Zwolsestraat"}
    events = client.get("/api/v1/sites/scheveningen/events?days=40").json()  # type: ignore[attr-defined]
    assert [e["id"] for e in events["events"]] == ["zomerconcert-kurhaus", "vuurwerkfestival-1"]
    assert events["holidays"][0] == {"date": "2026-07-18", "public_holiday": None, "school_holiday": "Summer Break"}


def test_sources_section_problems_name_their_path(source_site: Path) -> None:
    sources = fixture_sources()
    sources["parking"]["facilities"][0]["zones"] = ["nowhere"]
    sources["weather"]["url"] = "file:feeds/missing.json"
    sources["visitors"]["areas"]["resono-haven"] = "cam-boulevard-haven"
    sources["radar"] = {"url": "file:x"}
    sources["traffic"]["poll_seconds"] = -1
    write_sources(source_site, sources)
    _, problems = validate_site_dir(source_site)
    found = {(p.file, p.path) for p in problems}
    assert found == {
        ("site.yaml", "sources.parking.facilities[0].zones[0]"),
        ("site.yaml", "sources.weather.url"),
        ("site.yaml", "sources.visitors.areas.resono-haven"),
        ("site.yaml", "sources.radar"),
        ("site.yaml", "sources.traffic.poll_seconds"),
    }, problems


def test_the_demo_site_sources_are_valid() -> None:
    from tests.conftest import DEMO_SITE

    site, problems = validate_site_dir(DEMO_SITE)
    assert problems == [] and site is not None and len(site.config.sources) >= 9


def test_calendar_covariates_for_the_forecaster(source_site: Path) -> None:
    site, _ = validate_site_dir(source_site)
    assert site is not None
    frame = calendar_covariates(site, datetime(2026, 7, 18, 18), datetime(2026, 7, 18, 21), "1h")
    assert list(frame.columns) == ["timestamp", "zone", "name", "value"]
    at_19 = frame[frame["timestamp"] == datetime(2026, 7, 18, 19)]
    rows = {(r.zone, r.name): r.value for r in at_19.itertuples()}
    assert rows[("*", "school_holiday")] == 1 and rows[("*", "public_holiday")] == 0
    assert rows[("strand-kurhaus", "event_expected_visitors")] == 8000
    assert ("strand-kurhaus", "event_expected_visitors") not in {
        (r.zone, r.name) for r in frame[frame["timestamp"] == datetime(2026, 7, 18, 18)].itertuples()}
    kings_day = calendar_covariates(site, datetime(2026, 4, 27), datetime(2026, 4, 27, 2), "1h")
    assert set(kings_day[kings_day["name"] == "public_holiday"]["value"]) == {1.0}
