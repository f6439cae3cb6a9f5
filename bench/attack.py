"""The attack run of issue 12 against a live `csm serve`: every probe, one table, exit 1 if any fails.

    python bench/attack.py [--flood-seconds 5] [--skip-ingest]

Starts `csm serve` (the real CLI, in its own process) with two tiny sites on a temp DuckDB store,
ingesting from a PRIVATE Mosquitto that requires authentication (bench/_services.py), and a local
OpenID Connect issuer. It creates the accounts and tokens it needs, then runs the access probes
below and, when present, harden-ingest's `bench/attack_ingest.py:run_probes` (ingest probes).
Each probe tries hostile inputs and counts how many the server withstood ("held").
Loopback only; nothing here touches the machine's own services.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import paho.mqtt.client as mqtt

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO)]
from tests.conftest import TINY_SITE, TINY_ZONES, write_site  # noqa: E402
from tests.oidc_issuer import LocalIssuer  # noqa: E402

from _services import free_port, private_mosquitto, wait_port  # noqa: E402
from attack_common import AttackTarget, MqttTarget, ProbeResult  # noqa: E402

CSM = str(Path(sys.executable).with_name("csm"))
SECRET = "attack-run-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "correct-horse-battery"
SITES = ("tiny", "other")
# Accounts: name → (role, sites)
# A playbook, so a crowded zone raises an alert the `by` probe can act on.
PLAYBOOK = {"measures": [{"id": "city-hosts", "level": "orange", "zones": ["plein"], "measure": "City hosts",
                          "owner": "municipality", "lead_time_minutes": 15}]}
ACCOUNTS = {"root": ("administrator", ["*"]), "site-admin": ("administrator", ["tiny"]),
            "demoted": ("administrator", ["tiny"]), "leaver": ("municipality", ["tiny"]),
            "police": ("police", ["tiny"])}


class Probe:
    """Counts tries and holds; each `check(ok, what)` is one hostile input tried."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tried = 0
        self.held = 0
        self.failures: list[str] = []

    def check(self, held: bool, what: str) -> None:
        self.tried += 1
        if held:
            self.held += 1
        else:
            self.failures.append(what)

    def result(self) -> ProbeResult:
        return ProbeResult(self.name, self.tried, self.held, "; ".join(self.failures[:3]))


class Server:
    """`csm serve` in a process of its own, with its log in a file (read by the leakage probe)."""

    def __init__(self, tmp: Path, sites: list[Path], store: str, mqtt_url: str, issuer: LocalIssuer) -> None:
        self.port = free_port()
        self.log = tmp / "serve.log"
        env = {**os.environ, "CSM_SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1",
               "CSM_OIDC_ISSUER": issuer.url, "CSM_OIDC_CLIENT_ID": issuer.client_id,
               "CSM_OIDC_CLIENT_SECRET": issuer.client_secret}
        env.pop("CSM_TRUSTED_PROXIES", None)
        args = [CSM, "serve", *[a for s in sites for a in ("--site", str(s))], "--store", store,
                "--port", str(self.port), "--mqtt", mqtt_url]
        self.process = subprocess.Popen(args, stdout=self.log.open("wb"), stderr=subprocess.STDOUT, env=env)
        if not wait_port(self.port, 60):
            raise RuntimeError(f"csm serve did not start: {self.log.read_text()[-2000:]}")
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while httpx.get(f"{self.url}/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


# -- helpers ------------------------------------------------------------------------------------
def login(base: str, name: str) -> tuple[str, httpx.Client]:
    """A fresh session: its bearer token, and a client holding its cookies."""
    client = httpx.Client(base_url=base, timeout=30)
    answer = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    answer.raise_for_status()
    return answer.json()["token"], client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def interval(minutes_ago: int) -> str:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago)
    return start.isoformat().replace("+00:00", "Z")


def ws_close_code(url: str, headers: dict[str, str] | None = None) -> int | None:
    """None when the stream opened and sent a snapshot; else the close/refusal code."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(url, additional_headers=headers or {}, open_timeout=10) as ws:
            json.loads(ws.recv(timeout=10))
            return None
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else 1006
    except InvalidStatus as exc:
        return exc.response.status_code


# -- the probes ---------------------------------------------------------------------------------
def probe_escalation(base: str, root: str) -> ProbeResult:
    probe = Probe("escalation: site admin beyond its scope")
    token, http = login(base, "site-admin")
    h = bearer(token)
    tries: list[tuple[str, Callable[[], httpx.Response]]] = [
        ("create global admin", lambda: http.post("/api/v1/users", headers=h, json={
            "username": "evil-global", "role": "administrator", "sites": ["*"], "password": PASSWORD})),
        ("create admin of another site", lambda: http.post("/api/v1/users", headers=h, json={
            "username": "evil-other", "role": "administrator", "sites": ["other"], "password": PASSWORD})),
        ("widen own sites", lambda: http.patch("/api/v1/users/site-admin", headers=h, json={"sites": ["*"]})),
        ("ingest token for another site", lambda: http.post("/api/v1/tokens/ingest", headers=h,
                                                             json={"name": "x", "site": "other"})),
        ("delete the global admin", lambda: http.delete("/api/v1/users/root", headers=h)),
        ("demote the global admin", lambda: http.patch("/api/v1/users/root", headers=h, json={"role": "viewer"})),
        ("audit of another site", lambda: http.get("/api/v1/audit?site=other", headers=h)),
        ("global audit", lambda: http.get("/api/v1/audit?site=*", headers=h)),
        ("dead letters of another site", lambda: http.get("/api/v1/deadletters?site=other", headers=h)),
        ("zones of another site", lambda: http.get("/api/v1/sites/other/zones/state", headers=h)),
        ("metrics of every site", lambda: http.get("/metrics", headers=h)),
    ]
    for what, attempt in tries:
        probe.check(attempt().status_code in (403, 404), what)
    everything = http.get("/api/v1/audit", headers=h).json()
    probe.check({e["site"] for e in everything} <= {"tiny"}, "unscoped audit shows other sites")
    letters = http.get("/api/v1/deadletters", headers=h).json()
    probe.check({d["site_id"] for d in letters} <= {"tiny"}, "unscoped dead letters show other sites")
    other_ids = [d["id"] for d in httpx.get(f"{base}/api/v1/deadletters?site=other", headers=bearer(root)).json()]
    if other_ids:
        replay = http.post("/api/v1/deadletters/replay", headers=h, json={"ids": other_ids})
        probe.check(replay.status_code == 200 and not replay.json()["outcomes"], "replay another site's letters")
    users = {u["username"] for u in httpx.get(f"{base}/api/v1/users", headers=bearer(root)).json()}
    probe.check("root" in users and not users & {"evil-global", "evil-other"}, "accounts changed")
    return probe.result()


def probe_sessions(base: str, root: str) -> ProbeResult:
    probe = Probe("revoked sessions and demotion")
    token, http = login(base, "leaver")
    http.post("/api/v1/auth/logout", headers=bearer(token))
    probe.check(httpx.get(f"{base}/api/v1/auth/me", headers=bearer(token)).status_code == 401, "bearer after logout")
    cookie_token, cookie_client = login(base, "leaver")
    cookie_client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": cookie_client.cookies.get("csm_csrf", "")})
    stale = httpx.get(f"{base}/api/v1/auth/me", cookies={"csm_session": cookie_token})
    probe.check(stale.status_code == 401, "cookie after logout")
    probe.check(httpx.get(f"{base}/api/v1/auth/me", headers=bearer(cookie_token)).status_code == 401,
                "bearer of a cookie session after logout")
    demoted, _ = login(base, "demoted")
    httpx.patch(f"{base}/api/v1/users/demoted", headers=bearer(root), json={"role": "viewer"})
    probe.check(httpx.get(f"{base}/api/v1/users", headers=bearer(demoted)).status_code == 403,
                "demoted admin keeps admin rights")
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyb290Iiwicm9sZSI6ImFkbWluaXN0cmF0b3IifQ.x"
    probe.check(httpx.get(f"{base}/api/v1/users", headers=bearer(forged)).status_code == 401, "forged token")
    return probe.result()


def probe_websocket(base: str) -> ProbeResult:
    probe = Probe("WebSocket: ?token=, ticket reuse, foreign Origin")
    token, http = login(base, "police")
    stream = base.replace("http", "ws") + "/api/v1/sites/tiny/zones/stream"
    probe.check(ws_close_code(f"{stream}?token={token}") is not None, "?token= accepted")
    ticket = http.post("/api/v1/auth/stream-ticket", headers=bearer(token), json={"site": "tiny"}).json()["ticket"]
    first = ws_close_code(f"{stream}?ticket={ticket}")
    probe.check(first is None, "a fresh ticket refused (control)")
    probe.check(ws_close_code(f"{stream}?ticket={ticket}") is not None, "ticket used twice")
    other = http.post("/api/v1/auth/stream-ticket", headers=bearer(token), json={"site": "other"})
    probe.check(other.status_code == 403, "ticket for a site out of scope")
    cookie = f"csm_session={http.cookies.get('csm_session')}"
    probe.check(ws_close_code(stream, {"Cookie": cookie, "Origin": "https://evil.example"}) is not None,
                "foreign Origin with a valid cookie")
    probe.check(ws_close_code(stream, {"Cookie": cookie, "Origin": base}) is None, "own Origin refused (control)")
    return probe.result()


def probe_token_leakage(base: str, root: str, server: Server) -> ProbeResult:
    probe = Probe("no token in access log or audit")
    token, http = login(base, "police")
    http.get(f"/api/v1/sites/tiny/zones/state?token={token}", headers=bearer(token))
    http.get(f"/api/v1/sites/tiny/alerts?access_token={token}", headers=bearer(token))
    ticket = http.post("/api/v1/auth/stream-ticket", headers=bearer(token), json={"site": "tiny"}).json()["ticket"]
    ws_close_code(base.replace("http", "ws") + f"/api/v1/sites/tiny/zones/stream?ticket={ticket}")
    time.sleep(0.5)
    log = server.log.read_text(errors="replace")
    audit = httpx.get(f"{base}/api/v1/audit?limit=5000", headers=bearer(root)).text
    for secret, what in ((token, "session token"), (ticket, "stream ticket"), (root, "admin token")):
        signature = secret.rsplit(".", 1)[-1]
        probe.check(signature not in log, f"{what} in the server log")
        probe.check(signature not in audit, f"{what} in the audit")
    probe.check("zones/state" in log, "the access log was not written (control)")
    return probe.result()


def probe_oidc(base: str, issuer: LocalIssuer) -> ProbeResult:
    probe = Probe("OIDC: email takeover, unknown kid")

    def oidc_login() -> tuple[int, httpx.Response]:
        """The callback's status, and who the session is afterwards (GET /auth/me)."""
        with httpx.Client(base_url=base, timeout=30) as client:
            start = client.get("/api/v1/auth/oidc/login")
            at_issuer = httpx.get(start.headers["location"])
            callback = urlparse(at_issuer.headers["location"])
            status = client.get(f"{callback.path}?{callback.query}").status_code
            return status, client.get("/api/v1/auth/me")

    issuer.subject, issuer.claims = "attacker", {"email": "root", "preferred_username": "root"}
    status, me = oidc_login()
    probe.check(status in (401, 403) and me.status_code == 401, "unverified email logs in as root")
    issuer.subject, issuer.claims = "attacker", {"email": "root", "email_verified": False,
                                                  "csm_role": "viewer", "csm_sites": ["tiny"]}
    status, me = oidc_login()
    probe.check(status == 303 and me.json().get("username") != "root", "claims identity named root")
    issuer.signing_kid = "made-up-key"
    for _ in range(3):
        status, _ = oidc_login()
        probe.check(status == 401, f"unknown kid answered {status}")
    probe.check(issuer.jwks_requests <= 3, f"JWKS fetched {issuer.jwks_requests} times for unknown kids")
    issuer.signing_kid = "test-key"
    return probe.result()


def probe_forwarded_for(base: str) -> ProbeResult:
    probe = Probe("login throttle vs rotating X-Forwarded-For")
    codes = [httpx.post(f"{base}/api/v1/auth/login", json={"username": "nobody", "password": f"guess-{i}"},
                        headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(9)]
    for i, code in enumerate(codes[5:], start=5):
        probe.check(code == 429, f"attempt {i} answered {code}")
    return probe.result()


def probe_header_size(server: Server) -> ProbeResult:
    probe = Probe("200 MB request header")
    before = server.rss_mb()
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        chunk = b"a" * (1 << 20)
        with contextlib.suppress(OSError):
            while sent < 200 * (1 << 20):
                conn.sendall(chunk)
                sent += len(chunk)
    grown = server.rss_mb() - before
    probe.check(sent < 50 * (1 << 20), f"server read {sent >> 20} MB of one header")
    probe.check(grown < 50, f"server memory grew {grown:.0f} MB")
    probe.check(httpx.get(f"http://127.0.0.1:{server.port}/healthz").status_code == 200, "server down afterwards")
    return probe.result()


def probe_paths(base: str) -> ProbeResult:
    probe = Probe("dashboard path tricks without login")
    for path in ("/", "/./", "//", "/index.html", "/index.html/", "/.//index.html", "/x/../", "/%2e/", "//index.html"):
        with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1]))) as conn:  # raw: no client cleanup
            conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = conn.recv(4096).decode(errors="replace")
        status = int(head.split()[1])
        location = re.search(r"(?im)^location: (.*)$", head)
        probe.check(status in (303, 307, 308) and location is not None, f"{path} answered {status} without login")
    return probe.result()


def probe_mqtt(base: str, broker_port: int, accounts: dict[str, tuple[str, str]], feed: str) -> ProbeResult:
    probe = Probe("MQTT: anonymous, wrong password, outside ACL")

    def connect(user: str | None, password: str | None) -> tuple[mqtt.Client, int | None]:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"atk-{uuid.uuid4().hex[:8]}")
        if user:
            client.username_pw_set(user, password)
        codes: list[int] = []
        client.on_connect = lambda c, u, f, reason, p: codes.append(reason.value)
        client.connect("127.0.0.1", broker_port)
        client.loop_start()
        deadline = time.monotonic() + 5
        while not codes and time.monotonic() < deadline:
            time.sleep(0.02)
        return client, codes[0] if codes else None

    for user, password, what in ((None, None, "anonymous"), ("gw-plein", "wrong", "wrong password")):
        client, code = connect(user, password)
        probe.check(code not in (None, 0), f"{what} connected")
        client.loop_stop()
        client.disconnect()
    gateway, code = connect(*accounts["gw-plein"])
    probe.check(code == 0, "the gateway could not connect (control)")
    allowed = {"sensor_id": "cam-a", "interval_start": interval(3), "interval_seconds": 60, "counts": {"occupancy": 7}}
    forbidden = {"sensor_id": "lc-b", "interval_start": interval(3), "interval_seconds": 60, "counts": {"in": 2}}
    for message in (allowed, forbidden):
        topic = f"csm/tiny/sensors/{message['sensor_id']}/counts"
        gateway.publish(topic, json.dumps(message), qos=1).wait_for_publish(5)
    gateway.loop_stop()
    gateway.disconnect()
    time.sleep(2.0)

    def stored_already(message: dict[str, Any]) -> bool:
        answer = httpx.post(f"{base}/api/v1/observations", json=[message], headers=bearer(feed)).json()
        return bool(answer.get("duplicates"))

    probe.check(stored_already(allowed), "a permitted gateway's count was not stored (control)")
    probe.check(not stored_already(forbidden), "a count outside the gateway's ACL was stored")
    return probe.result()


def probe_alert_by(base: str, feed: str) -> ProbeResult:
    probe = Probe("alert step `by` is the account")
    token, http = login(base, "police")
    alerts: list[dict[str, Any]] = []
    deadline = time.monotonic() + 240  # a level must hold for its dwell time (2 min) before it alerts
    while not alerts and time.monotonic() < deadline:
        crowd = [{"sensor_id": "cam-a", "interval_start": interval(m), "interval_seconds": 60,
                  "counts": {"occupancy": 6000}} for m in (0, 1)]
        http.post("/api/v1/observations", json=crowd, headers=bearer(feed))
        time.sleep(5.0)
        alerts = http.get("/api/v1/sites/tiny/alerts?status=open", headers=bearer(token)).json()["alerts"]
    probe.check(bool(alerts), "no alert was raised to act on (control)")
    if alerts:
        url = f"/api/v1/sites/tiny/alerts/{alerts[0]['id']}"
        acked = http.post(f"{url}/ack", json={"by": "burgemeester (mayor)"}, headers=bearer(token)).json()
        probe.check(acked.get("acknowledged_by") == "police", f"recorded by {acked.get('acknowledged_by')!r}")
        probe.check("burgemeester" not in json.dumps(acked), "client text recorded in the history")
    return probe.result()


def ingest_probes(target: AttackTarget) -> list[ProbeResult]:
    """harden-ingest's probes (bench/attack_ingest.py), when that file is present."""
    path = HERE / "attack_ingest.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location("attack_ingest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results: list[ProbeResult] = module.run_probes(target)
    return results


# -- the run ------------------------------------------------------------------------------------
@contextlib.contextmanager
def target(tmp: Path) -> Iterator[tuple[Server, LocalIssuer, Any, dict[str, str]]]:
    from csm.auth.roles import Role
    from csm.auth.users import UserDirectory
    from csm.store.factory import open_store

    os.environ["CSM_SECRET_KEY"] = SECRET
    sites = [write_site(tmp / s, {**TINY_SITE, "id": s, "name": s, "playbook": PLAYBOOK}, TINY_ZONES) for s in SITES]
    store_url = f"duckdb:{tmp / 'attack.duckdb'}"
    issuer = LocalIssuer()
    issuer.start()
    store = open_store(store_url)
    directory = UserDirectory(store)
    for name, (role, scope) in ACCOUNTS.items():
        directory.add(name, Role(role), scope, PASSWORD)
    store.close()
    with private_mosquitto(gateways={"gw-plein": ("tiny", ["cam-a"])}) as broker:
        user, password = broker.accounts["ingest"]
        server = Server(tmp, sites, store_url, f"mqtt://{user}:{password}@127.0.0.1:{broker.port}", issuer)
        try:
            yield server, issuer, broker, {"store": store_url, "site_dir": str(sites[0])}
        finally:
            server.stop()
            issuer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood-seconds", default="5", help="bound of harden-ingest's refusal flood")
    parser.add_argument("--skip-ingest", action="store_true", help="only the access probes")
    args = parser.parse_args()
    from csm.auth.tokens import issue_ingest_token

    with tempfile.TemporaryDirectory(prefix="csm-attack-") as tmp_name, target(Path(tmp_name)) as (
        server, issuer, broker, info
    ):
        base = server.url
        root, _ = login(base, "root")
        feed = issue_ingest_token("attack-feed", "tiny", None)
        httpx.post(f"{base}/api/v1/observations", json=[{"sensor_id": "ghost"}], headers=bearer(feed))
        httpx.post(f"{base}/api/v1/observations", json=[{"sensor_id": "ghost"}],
                   headers=bearer(issue_ingest_token("attack-feed", "other", None)))
        results = [
            probe_escalation(base, root), probe_sessions(base, root), probe_websocket(base),
            probe_token_leakage(base, root, server), probe_oidc(base, issuer), probe_forwarded_for(base),
            probe_header_size(server), probe_paths(base),
            probe_mqtt(base, broker.port, broker.accounts, feed), probe_alert_by(base, feed),
        ]
        if not args.skip_ingest:
            publisher = broker.accounts["publisher"]
            results += ingest_probes(AttackTarget(
                base_url=base, site_id="tiny", site_dir=Path(info["site_dir"]), store_url=info["store"],
                admin_token=root, ingest_token=feed, sensor_ids=("cam-a", "lc-b", "est-c"),
                mqtt=MqttTarget("127.0.0.1", broker.port, publisher[0], publisher[1]),
                extra={"flood_seconds": args.flood_seconds}))
    width = max(len(r.probe) for r in results)
    print(f"\n{'probe':<{width}}  tried   held")
    for r in results:
        mark = "" if r.ok else f"   FAILED: {r.detail}"
        print(f"{r.probe:<{width}}  {r.tried:>5}  {r.held:>5}{mark}")
    failed = [r for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} probes held")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
