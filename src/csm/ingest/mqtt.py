"""MQTT ingest: `csm/{site}/sensors/{sensor_id}/counts`, JSON payload, QoS 1.

Messages are batched into the one ingest path and acknowledged only after their batch is stored
(manual PUBACK), so with a persistent session the broker redelivers whatever was in flight when a
consumer died; idempotent writes make the redelivery harmless (exactly-once effect).

A message that cannot be stored is never retried forever: its items are refused one by one into
dead letters (issue 12), and a batch that keeps failing is split so that the one message the store
refuses is dead-lettered and acknowledged while the others are stored. Only when not even a dead
letter can be written (the store is away) does the batch wait, unacknowledged, for the store.

MQTT 5 is used for two reasons: "Receive Maximum" bounds how many unacknowledged messages the
broker sends us (back-pressure at the protocol level, memory stays bounded), and a session expiry
keeps our subscription and undelivered messages at the broker while we restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from csm.ingest.limits import MAX_MESSAGE_BYTES
from csm.ingest.payload import PayloadRefusal, split_items
from csm.ingest.pipeline import IngestReport
from csm.ingest.ports import IngestSite, IngestTargets
from csm.ingest.privacy import shown
from csm.ingest.validate import Reason
from csm.jobs import Job

log = logging.getLogger(__name__)
TOPIC_FILTER = "csm/+/sensors/+/counts"
DEFAULT_MAX_INFLIGHT = 2000
DEFAULT_SESSION_EXPIRY = 24 * 3600
# Failed attempts at a batch before its messages are tried one by one to find a poison message.
POISON_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is and, for a broker that requires authentication, who we are.

    Credentials come from the URL (mqtt://user:pass@host:port) or else from CSM_MQTT_USERNAME and
    CSM_MQTT_PASSWORD (or CSM_MQTT_PASSWORD_FILE): the environment keeps them out of process lists.
    """

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parsed = urlparse(url if "://" in url else f"mqtt://{url}")
        if parsed.scheme not in ("mqtt", "tcp"):
            raise ValueError(f"unsupported MQTT URL {url!r}: use mqtt://[USER:PASSWORD@]HOST:PORT")
        username = unquote(parsed.username) if parsed.username else os.environ.get("CSM_MQTT_USERNAME") or None
        password = unquote(parsed.password) if parsed.password else _env_password()
        return cls(parsed.hostname or "127.0.0.1", parsed.port or 1883, username, password if username else None)

    def authenticate(self, client: mqtt.Client) -> None:
        """Give the client our credentials, if we have any."""
        if self.username:
            client.username_pw_set(self.username, self.password)


def _env_password() -> str | None:
    value = os.environ.get("CSM_MQTT_PASSWORD")
    if value:
        return value
    path = os.environ.get("CSM_MQTT_PASSWORD_FILE")
    return Path(path).read_text(encoding="utf-8").strip() if path else None


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


def items_from_payload(payload: bytes, sensor_id: str) -> list[Any] | PayloadRefusal:
    """One object or a list of objects; the topic names the sensor (a differing sensor_id is kept
    so that validation refuses it as mismatched rather than silently rewriting it)."""
    if len(payload) > MAX_MESSAGE_BYTES:
        return PayloadRefusal(Reason.TOO_LARGE, f"message over {MAX_MESSAGE_BYTES} bytes")
    items = split_items(payload)
    if isinstance(items, PayloadRefusal):
        return items
    for item in items:
        if isinstance(item, dict):
            item.setdefault("sensor_id", sensor_id)
    return items


Message = tuple[str, str, bytes, int, int]  # site, sensor, payload, mid, qos
_NOBODY_WAITS = 1 << 62


class Inbox:
    """Messages handed from paho's network thread to the ingest thread, taken a batch at a time.

    Each message costs one lock, and the ingest thread is woken once per batch (when the batch it
    waits for is complete) rather than once per message: with a `queue.Queue` the wake-ups were a
    sixth of the consumer's time (issue 17). `put` blocks while `bound` messages wait, which is
    back-pressure to the broker as before.
    """

    def __init__(self, bound: int) -> None:
        self._messages: list[Message] = []
        self._bound = max(1, bound)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._room = threading.Condition(self._lock)
        self._wanted = _NOBODY_WAITS
        self.received = 0  # every message ever put

    def __len__(self) -> int:
        return len(self._messages)

    def put(self, message: Message) -> None:
        with self._lock:
            while len(self._messages) >= self._bound:
                self._room.wait()
            self._messages.append(message)
            self.received += 1
            if len(self._messages) >= self._wanted:
                self._arrived.notify()

    def take(self, most: int, seconds: float, stop: threading.Event) -> list[Message]:
        """Up to `most` messages: once that many are there, else what is there after `seconds`
        (at once when `stop` is set)."""
        deadline = time.monotonic() + seconds
        with self._lock:
            self._wanted = most
            while len(self._messages) < most and not stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrived.wait(min(remaining, 0.05))
            self._wanted = _NOBODY_WAITS
            taken, self._messages = self._messages[:most], self._messages[most:]
            if taken:
                self._room.notify_all()
            return taken


class MqttIngestConsumer:
    """Subscribes, batches (by count or time) and ingests; acks after the store has the batch.

    A batch that cannot be stored (database away) is retried with backoff and not acknowledged,
    so the broker keeps the rest: nothing is lost and memory stays bounded by `max_inflight`.
    """

    def __init__(
        self,
        runtime: IngestTargets,
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
        self._inbox = Inbox(max_inflight)
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self.address.authenticate(self._client)
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
        self.store_retries = 0  # batches the store would not take at the first try (0 when input is only bad)

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
        """Messages received and not yet taken into a batch."""
        return len(self._inbox)

    @property
    def taken(self) -> int:
        """Messages received from the broker (stored and acked once `batches` moves on)."""
        return self._inbox.received

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
        self._inbox.put((site_id, sensor_id, bytes(message.payload), message.mid, message.qos))

    def _drain(self) -> None:
        while not (self._closing.is_set() and not self._inbox):
            # When shutting down, store what we have now rather than wait out the batch.
            batch = self._inbox.take(self.batch_size, self.batch_seconds, self._closing)
            if batch:
                self._store_with_retry(batch)

    def _store_with_retry(self, batch: list[Message]) -> None:
        delay = 0.5
        failures = 0
        while True:
            try:
                self._ingest_batch(batch)
                break
            except Exception as exc:  # the store is away, or one message it cannot take
                failures += 1
                self.store_retries += 1
                # The type only: an error message may quote the input.
                log.warning("storing an MQTT batch of %d failed (%s); retrying in %.1fs",
                            len(batch), type(exc).__name__, delay)
                if failures >= POISON_ATTEMPTS and self._isolate_poison(batch):
                    break
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
        for _site, _sensor, _payload, mid, qos in batch:
            if qos > 0:
                self._client.ack(mid, qos)
        self.batches += 1

    def _isolate_poison(self, batch: list[Message]) -> bool:
        report = store_isolating_poison(self.runtime, batch)
        if report is None:
            return False
        self.totals.merge(report)
        return True

    def _ingest_batch(self, batch: list[Message]) -> None:
        self.totals.merge(ingest_messages(self.runtime, batch))


def store_isolating_poison(runtime: IngestTargets, batch: list[Message], channel: str = "mqtt") -> IngestReport | None:
    """After a batch failed `POISON_ATTEMPTS` times (any broker): store it message by message; one
    that still fails alone is dead-lettered (so it may be acknowledged, never retried forever).
    None when even a dead letter cannot be written: the store is away, retry the batch later."""
    report = IngestReport()
    for message in batch:
        try:
            report.merge(ingest_messages(runtime, [message], channel))
        except Exception as exc:
            try:
                report.merge(_site_of(runtime, message[0]).ingest.refuse_whole(
                    message[2], channel, Reason.STORE_REFUSED,
                    f"the store refused this message ({type(exc).__name__})",
                ))
            except Exception:
                return None
    return report


def _site_of(runtime: IngestTargets, site_id: str) -> IngestSite:
    return runtime.sites.get(site_id) or next(iter(runtime.sites.values()))


def ingest_messages(runtime: IngestTargets, batch: list[Message], channel: str = "mqtt") -> IngestReport:
    """Store a batch of broker messages through the one ingest path (any broker: MQTT, JetStream;
    `channel` names it in dead letters, totals and metrics).

    The topic must name a site served here and a sensor of that site, and each item must name the
    topic's sensor; every refusal is a dead letter, so nothing here raises for bad input."""
    report = IngestReport()
    by_site: dict[str, tuple[list[Any], list[str]]] = defaultdict(lambda: ([], []))
    for site_id, sensor_id, payload, _mid, _qos in batch:
        site_runtime = runtime.sites.get(site_id)
        if site_runtime is None:
            report.merge(_site_of(runtime, site_id).ingest.refuse_whole(
                payload, channel, Reason.UNKNOWN_SITE, f"topic names site {shown(site_id)}, not served here",
                field_name="topic",
            ))
            continue
        if sensor_id not in site_runtime.site.sensors:
            report.merge(site_runtime.ingest.refuse_whole(
                payload, channel, Reason.UNKNOWN_SENSOR,
                f"topic names sensor {shown(sensor_id)}, which is not in site {site_id!r}", field_name="topic",
            ))
            continue
        items = items_from_payload(payload, sensor_id)
        if isinstance(items, PayloadRefusal):
            report.merge(site_runtime.ingest.refuse_whole(payload, channel, items.reason, items.detail))
            continue
        site_items, sensors = by_site[site_id]
        site_items.extend(items)
        sensors.extend([sensor_id] * len(items))
    for site_id, (items, sensors) in by_site.items():
        report.merge(runtime.sites[site_id].ingest.ingest_items(items, channel, expected_sensors=sensors))
    return report


def consumer_job(url: str, shared_group: str | None = "csm") -> Job:
    """A background job consuming MQTT inside a serving process (`csm serve --mqtt`)."""

    async def run(runtime: IngestTargets, stop: asyncio.Event) -> None:
        consumer = MqttIngestConsumer(runtime, url, client_id=default_client_id("serve"), shared_group=shared_group)
        consumer.start()
        try:
            await stop.wait()
        finally:
            await asyncio.to_thread(consumer.stop)

    return Job("mqtt-consumer", run)


def default_client_id(role: str) -> str:
    """Stable across restarts of the same process slot (the broker resumes its session), distinct
    between hosts: `csm-{role}-{hostname}` (add an index for several workers on one host)."""
    return f"csm-{role}-{socket.gethostname()}"
