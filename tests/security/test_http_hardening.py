"""Medium and low findings of issue 12: forwarded headers, header size, path tricks, alert `by`."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.api.live_server import serve_in_thread
from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from csm.runtime import Runtime
from tests.advice.conftest import mini_dir, mini_runtime  # noqa: F401  (fixtures)
from tests.advice.test_alerts_api import bearer as mini_bearer
from tests.advice.test_alerts_api import raise_orange_alert

PASSWORD = "correct-horse-battery"
DASHBOARD = "<!doctype html><title>dashboard</title><p>secret map</p>"


@pytest.fixture
def web_dist(tmp_path: Path) -> Path:
    folder = tmp_path / "web_dist"
    folder.mkdir()
    (folder / "index.html").write_text(DASHBOARD, encoding="utf-8")
    (folder / "app.js").write_text("console.log('x')", encoding="utf-8")
    return folder


@pytest.mark.parametrize("path", ["/", "/index.html", "/./", "//", "/index.html/", "/.//index.html", "/x/../",
                                  "//index.html", "/%2e/", "/./index.html"])
def test_the_dashboard_page_needs_a_login_however_the_path_is_spelled(
    two_sites: Runtime, web_dist: Path, path: str
) -> None:
    with TestClient(create_app(two_sites, web_dist=web_dist)) as client:
        answer = client.get(path, follow_redirects=True)
    assert "secret map" not in answer.text
    assert answer.url.path == "/login"


def test_a_logged_in_user_still_gets_the_dashboard(two_sites: Runtime, web_dist: Path) -> None:
    UserDirectory(two_sites.store).add("anna", Role.VIEWER, ["tiny"], PASSWORD)
    with TestClient(create_app(two_sites, web_dist=web_dist)) as client:
        client.post("/api/v1/auth/login", json={"username": "anna", "password": PASSWORD})
        assert "secret map" in client.get("/").text
        assert "secret map" in client.get("/./", follow_redirects=True).text


def test_rotating_x_forwarded_for_does_not_escape_the_login_throttle(
    client: TestClient, two_sites: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSM_TRUSTED_PROXIES", raising=False)
    UserDirectory(two_sites.store).add("anna", Role.VIEWER, ["tiny"], PASSWORD)
    codes = [client.post("/api/v1/auth/login", json={"username": "anna", "password": f"guess-{i:04d}"},
                         headers={"X-Forwarded-For": f"10.0.{i}.{i}"}).status_code for i in range(8)]
    assert codes[5:] == [429, 429, 429]


def test_forwarded_addresses_count_only_behind_a_configured_proxy(
    client: TestClient, two_sites: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSM_TRUSTED_PROXIES", "10.9.0.0/16")
    UserDirectory(two_sites.store).add("anna", Role.VIEWER, ["tiny"], PASSWORD)
    # The TestClient's peer is not a trusted proxy: its X-Forwarded-For is ignored, so it is throttled.
    codes = [client.post("/api/v1/auth/login", json={"username": "anna", "password": f"guess-{i:04d}"},
                         headers={"X-Forwarded-For": f"10.0.{i}.{i}"}).status_code for i in range(7)]
    assert codes[5:] == [429, 429]


def test_client_address_uses_the_hop_before_the_trusted_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.requests import Request

    from csm.auth.proxies import client_address

    def request(peer: str, forwarded: str) -> Request:
        return Request({"type": "http", "client": (peer, 1234), "headers": [(b"x-forwarded-for", forwarded.encode())],
                        "method": "GET", "path": "/", "query_string": b""})

    monkeypatch.setenv("CSM_TRUSTED_PROXIES", "10.9.0.0/16, 10.8.0.1")
    assert client_address(request("10.9.0.5", "203.0.113.7")) == "203.0.113.7"
    assert client_address(request("10.9.0.5", "1.1.1.1, 203.0.113.7, 10.8.0.1")) == "203.0.113.7"
    assert client_address(request("198.51.100.2", "203.0.113.7")) == "198.51.100.2"  # not a proxy: ignored
    monkeypatch.delenv("CSM_TRUSTED_PROXIES")
    assert client_address(request("10.9.0.5", "203.0.113.7")) == "10.9.0.5"


def _rss_mb(pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_a_200_mb_request_header_is_refused_without_memory_growth(two_sites: Runtime) -> None:
    with serve_in_thread(create_app(two_sites, web_dist=None)) as base:
        port = int(base.rsplit(":", 1)[1])
        before = _rss_mb()
        sent = 0
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
            chunk = b"a" * (1 << 20)
            try:
                while sent < 200 * (1 << 20):
                    conn.sendall(chunk)
                    sent += len(chunk)
            except OSError:
                pass
        grown = _rss_mb() - before
    assert sent < 50 * (1 << 20), f"the server read {sent >> 20} MB of one header"
    assert grown < 50, f"server memory grew by {grown:.0f} MB"


def test_an_alert_step_is_signed_by_the_account_not_by_client_text(mini_runtime: Runtime) -> None:  # noqa: F811
    raise_orange_alert(mini_runtime)
    police = mini_bearer(mini_runtime, "police")
    with TestClient(create_app(mini_runtime, web_dist=None)) as client:
        alert = client.get("/api/v1/sites/mini/alerts?status=open", headers=police).json()["alerts"][0]
        url = f"/api/v1/sites/mini/alerts/{alert['id']}"
        acked = client.post(f"{url}/ack", json={"by": "burgemeester (mayor)", "note": "seen"}, headers=police)
        assert acked.status_code == 200
        assert acked.json()["acknowledged_by"] == "test-police"
        resolved = client.post(f"{url}/resolve", json={"by": "burgemeester (mayor)"}, headers=police).json()
    assert "burgemeester" not in str(resolved)
