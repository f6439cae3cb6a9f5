"""MQTT ingest: `csm/{site}/sensors/{sensor_id}/counts`, JSON payload, QoS 1.

Messages are batched into the one ingest path and acknowledged only after their batch is stored
(manual PUBACK), so with a persistent session the broker redelivers whatever was in flight when a
consumer died; idempotent writes make the redelivery harmless (exactly-once effect).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

from csm.ingest.service import IngestReport
from csm.ingest.validate import Reason
from csm.runtime import Runtime

log = logging.getLogger(__name__)
TOPIC_FILTER = "csm/+/sensors/+/counts"
QUEUE_LIMIT = 100_000


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


class MqttIngestConsumer:
    """Subscribes, batches (by count or time) and ingests; acks after the store has the batch."""

    def __init__(
        self,
        runtime: Runtime,
        broker_url: str,
        client_id: str = "csm-ingest",
        batch_size: int = 5000,
        batch_seconds: float = 0.2,
        shared_group: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.address = BrokerAddress.parse(broker_url)
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.topic = f"$share/{shared_group}/{TOPIC_FILTER}" if shared_group else TOPIC_FILTER
        self._queue: queue.Queue[tuple[str, str, bytes, int, int]] = queue.Queue(QUEUE_LIMIT)
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            manual_ack=True,
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.connected = threading.Event()
        self.totals = IngestReport()

    def start(self) -> None:
        self._client.connect_async(self.address.host, self.address.port, keepalive=30)
        self._client.loop_start()
        self._worker = threading.Thread(target=self._drain, name="mqtt-ingest", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        """Flush what is queued, then disconnect (graceful shutdown loses nothing)."""
        self._stop.set()
        if self._worker is not None:
            self._worker.join(timeout=10)
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("MQTT connect refused: %s", reason)
            return
        client.subscribe(self.topic, qos=1)
        self.connected.set()
        log.info("MQTT ingest subscribed to %s on %s", self.topic, self.address)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        parsed = parse_topic(message.topic)
        site_id, sensor_id = parsed if parsed else ("", "")
        # Blocks the network thread when full: back-pressure to the broker, not unbounded memory.
        self._queue.put((site_id, sensor_id, bytes(message.payload), message.mid, message.qos))

    def _drain(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            batch: list[tuple[str, str, bytes, int, int]] = []
            deadline = time.monotonic() + self.batch_seconds
            while len(batch) < self.batch_size:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    batch.append(self._queue.get(timeout=timeout))
                except queue.Empty:
                    break
            if batch:
                self._ingest_batch(batch)

    def _ingest_batch(self, batch: list[tuple[str, str, bytes, int, int]]) -> None:
        by_site: dict[str, list[Any]] = defaultdict(list)
        for site_id, sensor_id, payload, _mid, _qos in batch:
            site_runtime = self.runtime.sites.get(site_id)
            if site_runtime is None:
                target = next(iter(self.runtime.sites.values()))
                self.totals.merge(target.ingest.refuse_whole(
                    payload, "mqtt", Reason.UNKNOWN_SITE,
                    f"topic names site {site_id!r}, not served here",
                ))
                continue
            try:
                by_site[site_id].extend(items_from_payload(payload, sensor_id))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                self.totals.merge(site_runtime.ingest.refuse_whole(
                    payload, "mqtt", Reason.BAD_JSON, f"not valid JSON: {exc}"
                ))
        for site_id, items in by_site.items():
            self.totals.merge(self.runtime.sites[site_id].ingest.ingest_items(items, "mqtt"))
        for _site, _sensor, _payload, mid, qos in batch:
            if qos > 0:
                self._client.ack(mid, qos)
