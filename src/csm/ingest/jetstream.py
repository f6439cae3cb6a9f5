"""NATS JetStream ingest: every worker pulls from one durable consumer that survives restarts.

Sensors keep speaking MQTT (QoS 1) to NATS's MQTT listener, or publish to NATS directly; the
topic `csm/{site}/sensors/{sensor}/counts` arrives as subject `csm.{site}.sensors.{sensor}.counts`
and is kept in a file-backed stream. Workers share a durable pull consumer per site: a message is
handed to one worker, acknowledged only after its batch is stored, and redelivered (to any worker)
if that never happens. Unlike MQTT shared subscriptions in Mosquitto, the stream and the consumer
are on disk, so what sensors publish while the broker or every worker restarts is kept: a broker
restart under load loses nothing (see tests/scale/test_jetstream.py and docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from csm.ingest.mqtt import POISON_ATTEMPTS, Message, ingest_messages, store_isolating_poison
from csm.ingest.pipeline import IngestReport
from csm.ingest.ports import IngestTargets

log = logging.getLogger(__name__)
STREAM = "CSM_COUNTS"
STREAM_SUBJECTS = ["csm.*.sensors.*.counts"]
DEFAULT_DURABLE = "csm-ingest"
CHANNEL = "jetstream"  # what dead letters, totals and metrics call this way in
ACK_WAIT_SECONDS = 30.0  # a batch taken by a worker that died is handed to another after this
FETCH_WAIT_SECONDS = 1.0  # a pull request waits at most this long; it returns as soon as messages are there


def counts_subject(site_id: str, sensor_id: str) -> str:
    return f"csm.{site_id}.sensors.{sensor_id}.counts"


def parse_subject(subject: str) -> tuple[str, str] | None:
    parts = subject.split(".")
    if len(parts) == 5 and parts[0] == "csm" and parts[2] == "sensors" and parts[4] == "counts":
        return parts[1], parts[3]
    return None


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """Where the counts are kept; created on first use if the operator has not made them."""

    name: str = STREAM
    subjects: tuple[str, ...] = tuple(STREAM_SUBJECTS)
    max_age_seconds: float = 7 * 24 * 3600  # a week of backlog while every worker is down
    replicas: int = 1  # 3 on a NATS cluster


async def ensure_stream(js: Any, settings: StreamSettings) -> None:
    """Create the stream unless one of that name exists (its configuration is then the operator's)."""
    try:
        await js.stream_info(settings.name)
        return
    except NotFoundError:
        pass
    try:
        await js.add_stream(StreamConfig(
            name=settings.name, subjects=list(settings.subjects), storage=StorageType.FILE,
            max_age=settings.max_age_seconds, num_replicas=settings.replicas,
        ))
    except BadRequestError as exc:  # another worker created it in between
        log.info("stream %s: %s", settings.name, exc)


class JetStreamIngestConsumer:
    """Pulls batches from JetStream and stores them through the one ingest path (as MQTT does):
    fetch a batch, store it (retrying while the store is away), then acknowledge each message."""

    def __init__(
        self,
        runtime: IngestTargets,
        nats_url: str,
        durable: str = DEFAULT_DURABLE,
        batch_size: int = 1000,
        batch_seconds: float = 0.2,
        max_inflight: int = 20_000,
        stream: StreamSettings | None = None,
    ) -> None:
        self.runtime = runtime
        self.nats_url = nats_url
        self.durable = durable
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.max_inflight = max_inflight  # unacknowledged messages per site the server hands us
        self.stream = stream or StreamSettings()
        self.connected = threading.Event()  # pulling from every site's consumer
        self.totals = IngestReport()
        self.batches = 0
        self.taken = 0
        self.store_retries = 0
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="jetstream-ingest",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Take no new batch; the one being stored is stored and acknowledged first."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    @property
    def pending(self) -> int:
        return 0  # nothing is buffered here: unfetched messages wait in the stream

    # -- transport ------------------------------------------------------------------------------
    async def _run(self) -> None:
        delay = 0.25
        while not self._closing.is_set():
            try:
                await self._consume()
                delay = 0.25
            except Exception as exc:  # connection refused, stream away during a restart, ...
                self.connected.clear()
                if self._closing.is_set():
                    break
                log.warning("JetStream ingest: %s; retrying in %.2fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 4.0)

    async def _consume(self) -> None:
        client = await nats.connect(self.nats_url, allow_reconnect=False, connect_timeout=2,
                                    name=f"{self.durable}-worker")
        try:
            js = client.jetstream()
            await ensure_stream(js, self.stream)
            subscriptions = [
                await js.pull_subscribe(
                    counts_subject(site_id, "*"), durable=f"{self.durable}-{site_id}", stream=self.stream.name,
                    config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_SECONDS,
                                          max_ack_pending=self.max_inflight),
                )
                for site_id in self.runtime.sites
            ]
            self.connected.set()
            log.info("JetStream ingest %s pulling %s from %s", self.durable, list(self.runtime.sites),
                     self.nats_url)
            while not self._closing.is_set():
                idle = True
                for subscription in subscriptions:
                    try:
                        messages = await subscription.fetch(
                            self.batch_size, timeout=max(self.batch_seconds, FETCH_WAIT_SECONDS))
                    except NatsTimeout:
                        continue
                    idle = False
                    await self._store_and_ack(messages)
                if idle and client.is_closed:
                    raise ConnectionError("connection closed")
        finally:
            self.connected.clear()
            if not client.is_closed:
                # Acks are already sent after each stored batch: flush them and close (a drain
                # would wait out our open pull requests).
                with contextlib.suppress(Exception):
                    await client.flush(timeout=2)
                await client.close()

    async def _store_and_ack(self, messages: list[Any]) -> None:
        batch: list[Message] = []
        for message in messages:
            site_id, sensor_id = parse_subject(message.subject) or ("", "")
            batch.append((site_id, sensor_id, bytes(message.data), 0, 0))
        self.taken += len(batch)
        await asyncio.to_thread(self._store_batch, batch)
        for message in messages:
            await message.ack()
        self.batches += 1

    def _store_batch(self, batch: list[Message]) -> None:
        """Store, retrying while the store is away: unacknowledged, the batch stays in the stream
        anyway, but retrying here keeps the order and spares a redelivery after `ACK_WAIT_SECONDS`.
        A batch that keeps failing is stored message by message, so one message the store refuses
        is dead-lettered instead of holding up (and being redelivered with) all the others."""
        delay = 0.5
        failures = 0
        while True:
            try:
                self.totals.merge(ingest_messages(self.runtime, batch, CHANNEL))
                return
            except Exception as exc:
                failures += 1
                self.store_retries += 1
                # The type only: an error message may quote the input.
                log.warning("storing a JetStream batch of %d failed (%s); retrying in %.1fs",
                            len(batch), type(exc).__name__, delay)
                if failures >= POISON_ATTEMPTS:
                    isolated = store_isolating_poison(self.runtime, batch, CHANNEL)
                    if isolated is not None:
                        self.totals.merge(isolated)
                        return
                if self._closing.wait(delay):
                    raise
                delay = min(delay * 2, 10.0)
