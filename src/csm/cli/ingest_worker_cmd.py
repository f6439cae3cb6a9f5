"""`csm ingest-worker`: a process that only consumes sensor counts into the shared store.

Run several (on one host or many): a shared subscription (MQTT) or a shared durable consumer (NATS
JetStream, `--nats`) spreads the messages over them, each stores a batch and only then
acknowledges it. SIGTERM/SIGINT stop intake, flush what was taken
and disconnect, so a rolling restart loses nothing.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import typer

from csm.ingest.jetstream import JetStreamIngestConsumer
from csm.ingest.mqtt import DEFAULT_MAX_INFLIGHT, DEFAULT_SESSION_EXPIRY, MqttIngestConsumer, default_client_id
from csm.runtime import build_runtime

log = logging.getLogger(__name__)


def run_ingest_worker(
    sites: list[Path],
    store: str,
    mqtt: str,
    bus: str | None = None,
    group: str = "csm",
    client_id: str | None = None,
    batch_size: int = 1000,
    batch_seconds: float = 0.2,
    max_inflight: int = DEFAULT_MAX_INFLIGHT,
    stop: threading.Event | None = None,
    session_expiry: int = DEFAULT_SESSION_EXPIRY,
    nats: str | None = None,
) -> dict[str, int]:
    """Consume until `stop` (or SIGTERM/SIGINT when run from the main thread); returns totals.

    With `nats` the worker pulls from NATS JetStream (durable consumer named after `group`)
    instead of subscribing to the MQTT broker."""
    stop = stop or threading.Event()
    runtime = build_runtime(sites, store, bus_url=bus)
    consumer: MqttIngestConsumer | JetStreamIngestConsumer
    if nats:
        consumer = JetStreamIngestConsumer(runtime, nats, durable=group or "csm-ingest", batch_size=batch_size,
                                           batch_seconds=batch_seconds, max_inflight=max_inflight)
    else:
        consumer = MqttIngestConsumer(
            runtime, mqtt, client_id=client_id or default_client_id("ingest"), batch_size=batch_size,
            batch_seconds=batch_seconds, shared_group=group or None, max_inflight=max_inflight,
            session_expiry=session_expiry,
        )
    if threading.current_thread() is threading.main_thread():
        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("signal %d: finishing in-flight batches", signum)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    consumer.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        consumer.stop()
        runtime.close()
    totals = consumer.totals
    return {
        "received": totals.received, "accepted": totals.accepted, "duplicates": totals.duplicates,
        "rejected": len(totals.rejected), "batches": consumer.batches,
    }


def register(app: typer.Typer) -> None:
    @app.command("ingest-worker")
    def ingest_worker(
        site: list[Path] = typer.Option(..., "--site", help="site folder (repeat for several)"),
        store: str = typer.Option(..., help="postgresql://... (shared with the API workers)"),
        mqtt: str = typer.Option("mqtt://127.0.0.1:1883", help="broker, mqtt://HOST:PORT"),
        nats: str | None = typer.Option(
            None, help="nats://HOST:PORT: pull from NATS JetStream instead of MQTT (survives broker restarts)"
        ),
        bus: str | None = typer.Option(None, help="redis://... to wake the API workers' pictures",
                                       envvar="CSM_BUS"),
        group: str = typer.Option(
            "csm", help="shared-subscription group ('' = no sharing); with --nats the durable consumer's name"
        ),
        client_id: str | None = typer.Option(
            None, help="MQTT client id; keep it stable per worker so the broker resumes its session"
        ),
        batch_size: int = typer.Option(1000, min=1, help="messages stored per transaction at most"),
        batch_seconds: float = typer.Option(0.2, min=0.001, help="longest wait to fill a batch"),
        max_inflight: int = typer.Option(
            DEFAULT_MAX_INFLIGHT, min=1, max=65535, help="unacknowledged messages at most (back-pressure)"
        ),
        session_expiry: int = typer.Option(
            DEFAULT_SESSION_EXPIRY, min=0, help="seconds the broker keeps our session while we are away"
        ),
    ) -> None:
        """Consume sensor counts from MQTT (shared subscription, QoS 1) or NATS JetStream (a shared
        durable consumer) into the shared store."""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        typer.echo(f"ingest worker: {nats or mqtt} → {store.split('@')[-1]} (group {group or '-'})")
        totals = run_ingest_worker(
            list(site), store, mqtt, bus, group, client_id, batch_size, batch_seconds, max_inflight,
            session_expiry=session_expiry, nats=nats,
        )
        typer.echo("ingest worker stopped: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
