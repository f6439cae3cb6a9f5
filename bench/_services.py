"""Private, throw-away instances of the real services on free loopback ports, for benchmarks and
fault runs: a PostgreSQL cluster (initdb in a temp dir), a Mosquitto and a Redis of our own. The
machine's own services (5432, 1883, 6379) are never restarted or loaded by these runs."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Ingest broker settings (docs/ingest.md): Mosquitto's defaults drop QoS 1 messages in bursts.
# Authentication as deploy/mosquitto/mosquitto.conf: no anonymous clients, per-account ACLs.
MOSQUITTO_CONF = """per_listener_settings false
allow_anonymous false
password_file {data}/passwd
acl_file {data}/acl
listener {port} 127.0.0.1
persistence true
persistence_location {data}/
max_inflight_messages 0
max_queued_messages 1000000
max_queued_bytes 0
log_dest file {data}/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
log_type subscribe
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_port(port: int, timeout: float = 20.0, up: bool = True) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                if up:
                    return True
        except OSError:
            if not up:
                return True
        time.sleep(0.05)
    return False


# An anonymous broker for throughput runs, with ingest-sized windows: Mosquitto's defaults (20 in
# flight, 1,000 queued per client) drop QoS 1 messages for a subscriber that acknowledges after
# storing a batch.
ANONYMOUS_BROKER_CONF = """listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 0
max_queued_messages {queued}
max_queued_bytes 0
"""


@contextlib.contextmanager
def anonymous_mosquitto(max_queued_messages: int = 1_000_000) -> Iterator[int]:
    """A Mosquitto of our own on a free loopback port, anonymous, nothing kept: yields its port."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(ANONYMOUS_BROKER_CONF.format(port=port, queued=max_queued_messages))
        process = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            wait_port(port, timeout=10)
            yield port
        finally:
            process.terminate()
            process.wait(10)


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PrivatePostgres:
    data: Path
    port: int
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.data.parent / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c max_connections=200"
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                     "-o", options, "-w", *args]), check=True, capture_output=True)

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-m", mode)

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    root = Path(tempfile.mkdtemp(prefix="csm-bench-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        data = root / "data"
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                     "--no-sync"]), check=True, capture_output=True)
        server = PrivatePostgres(data, free_port())
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                server.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


class PrivateProcess:
    """A server process we own (Mosquitto or Redis) that a fault run may kill and start again."""

    def __init__(self, args: list[str], port: int) -> None:
        self.args = args
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.accounts: dict[str, tuple[str, str]] = {}  # role → (user, password), for a broker

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            raise RuntimeError(f"{self.args[0]} did not start on port {self.port}")

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(20)
        self.process = None
        wait_port(self.port, up=False)


@contextlib.contextmanager
def private_mosquitto(gateways: dict[str, tuple[str, list[str]]] | None = None) -> Iterator[PrivateProcess]:
    """A private Mosquitto that requires authentication, made with the `csm mqtt` helpers.

    Accounts (`broker.accounts`): "ingest" reads every site's counts, "publisher" may write any
    sensor's counts (the load generator), and each of `gateways` (name → (site, sensors)) only
    its own sensors. While the broker runs, CSM_MQTT_USERNAME/PASSWORD name the ingest account,
    so ingest workers started from here authenticate; CSM_BENCH_MQTT_PUBLISHER is "user:password".
    """
    from csm.ingest.broker_auth import gateway_block, ingest_block, set_password, write_acl_block

    with tempfile.TemporaryDirectory(prefix="csm-bench-mqtt-") as tmp:
        port = free_port()
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(MOSQUITTO_CONF.format(port=port, data=tmp))
        passwd, acl = Path(tmp) / "passwd", Path(tmp) / "acl"
        accounts = {"ingest": ("csm-ingest", set_password(passwd, "csm-ingest"))}
        write_acl_block(acl, "csm-ingest", ingest_block("csm-ingest"))
        accounts["publisher"] = ("bench-publisher", set_password(passwd, "bench-publisher"))
        write_acl_block(acl, "bench-publisher", "user bench-publisher\ntopic write csm/+/sensors/+/counts\n")
        for name, (site, sensors) in (gateways or {}).items():
            accounts[name] = (name, set_password(passwd, name))
            write_acl_block(acl, name, gateway_block(name, site, sensors))
        if os.geteuid() == 0:  # mosquitto drops root for its own user, which must write its store
            with contextlib.suppress(LookupError):
                for path in (Path(tmp), passwd, acl):
                    shutil.chown(path, "mosquitto")
        broker = PrivateProcess(["mosquitto", "-c", str(conf)], port)
        broker.accounts = accounts
        saved = {k: os.environ.get(k) for k in ("CSM_MQTT_USERNAME", "CSM_MQTT_PASSWORD", "CSM_BENCH_MQTT_PUBLISHER")}
        os.environ["CSM_MQTT_USERNAME"], os.environ["CSM_MQTT_PASSWORD"] = accounts["ingest"]
        os.environ["CSM_BENCH_MQTT_PUBLISHER"] = ":".join(accounts["publisher"])
        broker.start()
        try:
            yield broker
        finally:
            broker.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateProcess]:
    with tempfile.TemporaryDirectory(prefix="csm-bench-redis-") as tmp:
        port = free_port()
        server = PrivateProcess(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                 "--appendonly", "no", "--dir", tmp], port)
        server.start()
        try:
            yield server
        finally:
            server.stop()
