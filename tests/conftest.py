"""Shared fixtures: small readable sites, real DuckDB files, the real ASGI app, real services."""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
import yaml

from csm.clock import FixedClock
from csm.ingest.mqtt import BrokerAddress
from csm.runtime import Runtime, build_runtime
from csm.synthetic.day import DaySimulator

REPO = Path(__file__).resolve().parent.parent
DEMO_SITE = REPO / "sites" / "scheveningen"
REQUIRE_SERVICES = os.environ.get("CSM_REQUIRE_SERVICES") == "1"


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a real service is absent, but fail when CI demands the services."""
    if service_available(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (CSM_REQUIRE_SERVICES=1: real services are required)")
    pytest.skip(f"{message}; start it to run this test")


@pytest.fixture
def mqtt_broker() -> str:
    require_service("Mosquitto MQTT broker", "127.0.0.1", 1883)
    return "mqtt://127.0.0.1:1883"


@pytest.fixture
def publisher(mqtt_broker: str) -> Iterator[mqtt.Client]:
    """A plain MQTT client connected to the test broker, to play sensors."""
    address = BrokerAddress.parse(mqtt_broker)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    client.connect(address.host, address.port)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


def mqtt_publish(client: mqtt.Client, topic: str, payload: bytes | str) -> None:
    """Publish at QoS 1 and wait until the broker has it (as a sensor gateway does)."""
    client.publish(topic, payload, qos=1).wait_for_publish(5)


@pytest.fixture
def postgres_url() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return os.environ.get("CSM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return "redis://127.0.0.1:6379/0"


def _square(lon: float, lat: float, d: float = 0.001) -> dict[str, object]:
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]],
    }


def write_site(folder: Path, site: dict[str, object], zones: list[dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(yaml.safe_dump(site), encoding="utf-8")
    features = [
        {"type": "Feature", "properties": props, "geometry": _square(4.27 + i * 0.002, 52.11)}
        for i, props in enumerate(zones)
    ]
    (folder / "zones.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return folder


TINY_SITE: dict[str, object] = {
    "id": "tiny",
    "name": "Tiny test site",
    "timezone": "Europe/Amsterdam",
    "defaults": {"line_counter_reset": "05:00"},
    "sensors": [
        {"id": "cam-a", "kind": "area_counter", "zone": "plein", "interval_seconds": 60,
         "coverage": 0.5},
        {"id": "lc-b", "kind": "line_counter", "zone": "pier", "opposite_zone": "plein",
         "interval_seconds": 60},
        {"id": "est-c", "kind": "visitor_estimate", "zone": "strand", "interval_seconds": 900,
         "scale": 2.0},
    ],
}
# Each test square is about 68 m × 111 m = 7,600 m²; walkable areas stay below that.
TINY_ZONES: list[dict[str, object]] = [
    {"id": "plein", "name": "Plein", "walkable_area_m2": 1000},
    {"id": "pier", "name": "Pier", "walkable_area_m2": 500},
    {"id": "strand", "name": "Strand", "walkable_area_m2": 5000},
]


@pytest.fixture
def tiny_site_dir(tmp_path: Path) -> Path:
    return write_site(tmp_path / "tiny", TINY_SITE, TINY_ZONES)


@pytest.fixture
def demo_site_copy(tmp_path: Path) -> Path:
    target = tmp_path / "scheveningen"
    shutil.copytree(DEMO_SITE, target)
    return target


# Noon in summer, Amsterdam: 2026-07-18 12:00 CEST.
NOON = datetime(2026, 7, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOON)


@pytest.fixture
def tiny_runtime(tiny_site_dir: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    runtime = build_runtime([tiny_site_dir], f"duckdb:{tmp_path / 'csm.duckdb'}", clock=clock)
    yield runtime
    runtime.close()


# -- authentication for tests -----------------------------------------------------------------
TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256-0123456789"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CSM_SECRET_KEY", TEST_SECRET)
    return TEST_SECRET


def session_token(runtime: Runtime, role: str = "administrator", sites: tuple[str, ...] = ("*",),
                  zones: dict[str, list[str]] | None = None, username: str | None = None) -> str:
    """Create an account with that role (if new) and return a session bearer token for it."""
    from csm.auth.roles import Role
    from csm.auth.sessions import SessionBook
    from csm.auth.users import UserDirectory

    directory = UserDirectory(runtime.store)
    name = username or f"test-{role}".replace("_", "-")
    user = directory.get(name) or directory.add(name, Role(role), list(sites), "correct-horse-battery", zones)
    return SessionBook(runtime.store).open(user)


def ingest_token(site: str = "tiny", sensors: list[str] | None = None) -> str:
    from csm.auth.tokens import issue_ingest_token

    return issue_ingest_token("test-feed", site, sensors)


class AuthedClient:
    """A TestClient that logs in as an administrator for reads and as a sensor feed for ingest."""

    def __init__(self, client: TestClientType, runtime: Runtime, site: str = "tiny") -> None:
        self.raw = client
        self.user_headers = {"Authorization": f"Bearer {session_token(runtime)}"}
        self.ingest_headers = {"Authorization": f"Bearer {ingest_token(site)}"}

    def _headers(self, url: str, extra: dict[str, str] | None) -> dict[str, str]:
        base = self.ingest_headers if url.startswith("/api/v1/observations") else self.user_headers
        return {**base, **(extra or {})}

    def get(self, url: str, **kwargs: object) -> object:
        return self.raw.get(url, headers=self._headers(url, kwargs.pop("headers", None)), **kwargs)  # type: ignore[arg-type]

    def post(self, url: str, **kwargs: object) -> object:
        return self.raw.post(url, headers=self._headers(url, kwargs.pop("headers", None)), **kwargs)  # type: ignore[arg-type]

    def websocket_connect(self, url: str, **kwargs: object) -> object:
        return self.raw.websocket_connect(url, headers=self.user_headers, **kwargs)  # type: ignore[arg-type]


from fastapi.testclient import TestClient as TestClientType  # noqa: E402

DEMO_DAY_LATE_MORNING = datetime(2026, 7, 18, 11, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def demo_morning(path: Path, clock: FixedClock | None = None) -> tuple[Runtime, DaySimulator]:
    """The demo's hot Saturday at 11:00 in a DuckDB file at `path`: four weeks of history seeded
    (as `csm demo` does), the morning's counts, the live picture and a forecast."""
    from csm.demo.runner import backfill_until, seed_history
    from csm.services.forecasts import run_forecast

    runtime = build_runtime([DEMO_SITE], f"duckdb:{path}", clock=clock or FixedClock(DEMO_DAY_LATE_MORNING))
    site_runtime = runtime.sites["scheveningen"]
    sim = DaySimulator(site_runtime.site)
    seed_history(site_runtime, sim, DEMO_DAY_LATE_MORNING, days=28)
    backfill_until(site_runtime, sim, DEMO_DAY_LATE_MORNING)
    site_runtime.picture.refresh()
    assert run_forecast(site_runtime, DEMO_DAY_LATE_MORNING) is not None
    return runtime, sim
