"""MQTT ingest: `csm/{site}/sensors/{sensor_id}/counts`, JSON payload, QoS 1.

Messages are batched into the one ingest path and acknowledged only after their batch is stored
(manual PUBACK), so with a persistent session the broker redelivers whatever was in flight when a
consumer died; idempotent writes make the redelivery harmless (exactly-once effect).

MQTT 5 is used for two reasons: "Receive Maximum" bounds how many unacknowledged messages the
broker sends us (back-pressure at the protocol level, memory stays bounded), and a session expiry
keeps our subscription and undelivered messages at the broker while we restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from csm.ingest.service import IngestReport
from csm.ingest.validate import Reason
from csm.runtime import BackgroundJob, Runtime

log = logging.getLogger(__name__)
TOPIC_FILTER = "csm/+/sensors/+/counts"
DEFAULT_MAX_INFLIGHT = 2000
DEFAULT_SESSION_EXPIRY = 24 * 3600


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parsed = urlparse(url if "://" in url else f"mqtt://{url}")
        if parsed.scheme not in ("mqtt", "tcp"):
            raise ValueError(f"unsupported MQTT URL {url!r}: use mqtt://HOST:PORT")
        return cls(parsed.hostname or "127.0.0.1", parsed.port or 1883)


def subscription_topics(site_ids: list[str] | None, shared_group: str | None) -> list[str]:
    """One filter per served site (other deployments' sites are not ours to consume), or every
    site when `site_ids` is None; `$share/GROUP/...` spreads messages over the group's workers."""
    filters = [f"csm/{site}/sensors/+/counts" for site in site_ids] if site_ids else [TOPIC_FILTER]
    return [f"$share/{shared_group}/{f}" if shared_group else f for f in filters]


def counts_topic(site_id: str, sensor_id: str) -> str:
    return f"csm/{site_id}/sensors/{sensor_id}/counts"


def parse_topic(topic: str) -> tuple[str, str] | None:
    parts = topic.split("/")
    if len(parts) == 5 and parts[0] == "csm" and parts[2] == "sensors" and parts[4] == "counts":
        return parts[1], parts[3]
    return None


def items_from_payload(payload: bytes, sensor_id: str) -> list[Any]:
    """One object or a list of objects; the topic names the sensor (a differing sensor_id is kept
    so that validation refuses it as unknown or mismatched rather than silently rewriting it)."""
    document = json.loads(payload)
    items = document if isinstance(document, list) else [document]
    for item in items:
        if isinstance(item, dict):
            item.setdefault("sensor_id", sensor_id)
    return items


Message = tuple[str, str, bytes, int, int]  # site, sensor, payload, mid, qos


class MqttIngestConsumer:
    """Subscribes, batches (by count or time) and ingests; acks after the store has the batch.

    A batch that cannot be stored (database away) is retried with backoff and not acknowledged,
    so the broker keeps the rest: nothing is lost and memory stays bounded by `max_inflight`.
    """

    def __init__(
        self,
        runtime: Runtime,
        broker_url: str,
        client_id: str = "csm-ingest",
        batch_size: int = 1000,
        batch_seconds: float = 0.2,
        shared_group: str | None = None,
        max_inflight: int = DEFAULT_MAX_INFLIGHT,
        session_expiry: int = DEFAULT_SESSION_EXPIRY,
        all_sites: bool = False,
    ) -> None:
        self.runtime = runtime
        self.address = BrokerAddress.parse(broker_url)
        self.client_id = client_id
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.max_inflight = max_inflight
        self.session_expiry = session_expiry
        self.topics = subscription_topics(None if all_sites else list(runtime.sites), shared_group)
        self._queue: queue.Queue[Message] = queue.Queue(max_inflight)
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        # Quick retries: after a broker restart, shared subscriptions exist again only once we are back.
        self._client.reconnect_delay_set(min_delay=0.25, max_delay=4)  # type: ignore[arg-type]
        self._closing = threading.Event()
        self._worker: threading.Thread | None = None
        self.connected = threading.Event()  # connected and subscribed
        self.totals = IngestReport()
        self.batches = 0
        self.taken = 0  # messages taken into a batch (stored and acked once `batches` moves on)
        self.store_retries = 0

    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.ReceiveMaximum = min(self.max_inflight, 65535)
        properties.SessionExpiryInterval = self.session_expiry
        self._client.connect_async(
            self.address.host, self.address.port, keepalive=30, clean_start=False, properties=properties
        )
        self._client.loop_start()
        self._worker = threading.Thread(target=self._drain, name="mqtt-ingest", daemon=True)
        self._worker.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful shutdown: take no more messages, store and ack every one taken, disconnect.

        Messages the broker sends after this point are not acknowledged, so it keeps them in our
        session (or hands them to another worker of the group): none is lost.
        """
        self._closing.set()
        if self._worker is not None:
            self._worker.join(timeout=timeout)
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("MQTT connect refused: %s", reason)
            return
        # Re-subscribing is harmless with a resumed session and needed with a fresh one.
        client.subscribe([(topic, 1) for topic in self.topics])

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        """The broker confirmed the subscription: from now on nothing published is missed."""
        self.connected.set()
        log.info("MQTT ingest %s subscribed to %s on %s", self.client_id, self.topics, self.address)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connected.clear()
        if not self._closing.is_set():
            log.warning("MQTT connection lost (%s); reconnecting with backoff", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._closing.is_set():
            return  # not acked: redelivered after restart
        parsed = parse_topic(message.topic)
        site_id, sensor_id = parsed if parsed else ("", "")
        # Blocks the network thread when full: back-pressure to the broker, not unbounded memory.
        self._queue.put((site_id, sensor_id, bytes(message.payload), message.mid, message.qos))

    def _drain(self) -> None:
        while not (self._closing.is_set() and self._queue.empty()):
            batch: list[Message] = []
            deadline = time.monotonic() + self.batch_seconds
            while len(batch) < self.batch_size:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    batch.append(self._queue.get(timeout=min(timeout, 0.05)))
                    self.taken += 1
                except queue.Empty:
                    if self._closing.is_set():
                        break  # shutting down: store what we have now rather than wait out the batch
            if batch:
                self._store_with_retry(batch)

    def _store_with_retry(self, batch: list[Message]) -> None:
        delay = 0.5
        while True:
            try:
                self._ingest_batch(batch)
                break
            except Exception:  # the store is away longer than its own retries: keep the batch
                self.store_retries += 1
                log.exception("storing an MQTT batch of %d failed; retrying in %.1fs", len(batch), delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
        for _site, _sensor, _payload, mid, qos in batch:
            if qos > 0:
                self._client.ack(mid, qos)
        self.batches += 1

    def _ingest_batch(self, batch: list[Message]) -> None:
        self.totals.merge(ingest_messages(self.runtime, batch))


def ingest_messages(runtime: Runtime, batch: list[Message]) -> IngestReport:
    """Store a batch of broker messages through the one ingest path (any broker: MQTT, JetStream)."""
    report = IngestReport()
    by_site: dict[str, list[Any]] = defaultdict(list)
    for site_id, sensor_id, payload, _mid, _qos in batch:
        site_runtime = runtime.sites.get(site_id)
        if site_runtime is None:
            target = next(iter(runtime.sites.values()))
            report.merge(target.ingest.refuse_whole(
                payload, "mqtt", Reason.UNKNOWN_SITE,
                f"topic names site {site_id!r}, not served here",
            ))
            continue
        try:
            by_site[site_id].extend(items_from_payload(payload, sensor_id))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            report.merge(site_runtime.ingest.refuse_whole(
                payload, "mqtt", Reason.BAD_JSON, f"not valid JSON: {exc}"
            ))
    for site_id, items in by_site.items():
        report.merge(runtime.sites[site_id].ingest.ingest_items(items, "mqtt"))
    return report


def consumer_job(url: str, shared_group: str | None = "csm") -> BackgroundJob:
    """A background job consuming MQTT inside a serving process (`csm serve --mqtt`)."""

    async def run(runtime: Runtime, stop: asyncio.Event) -> None:
        consumer = MqttIngestConsumer(runtime, url, client_id=default_client_id("serve"), shared_group=shared_group)
        consumer.start()
        try:
            await stop.wait()
        finally:
            await asyncio.to_thread(consumer.stop)

    return run


def default_client_id(role: str) -> str:
    """Stable across restarts of the same process slot (the broker resumes its session), distinct
    between hosts: `csm-{role}-{hostname}` (add an index for several workers on one host)."""
    return f"csm-{role}-{socket.gethostname()}"
