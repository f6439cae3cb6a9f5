"""Publish/subscribe across processes through Redis pub/sub (the scale-out bus).

Same two methods as LocalBus. One background thread runs an asyncio loop with redis-py's asyncio
client: a publisher draining a bounded outbox, and a reader subscribed to the channels that local
subscribers want. Received messages are handed to an in-process LocalBus, which delivers them to
subscribers in any event loop. Both sides reconnect with jittered exponential backoff; while Redis
is away the outbox keeps the newest messages (oldest dropped, never unbounded memory).

Some topics are deliberately local (default: "zones"): every API worker computes its own picture
from the shared store, so zone changes go only to that worker's own stream clients (see
docs/deployment.md, "Live picture with several API workers"). After Redis comes back, local
subscribers receive `{"type": "resync"}` on every topic, so streams can send a fresh snapshot
instead of silently missing what passed during the outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from csm.bus import LocalBus
from csm.topics import BusMessage, Resync, check_message, decode, encode

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 10_000
LOCAL_TOPICS = frozenset({"zones"})
_RETRYABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def split_bus_url(url: str) -> tuple[str, str]:
    """`redis://host:port/db?namespace=NS` → (URL for redis-py, channel namespace; default "csm").

    Pub/sub channels are global to a Redis server (not per database), so deployments sharing a
    server need distinct namespaces.
    """
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"unsupported bus URL {url!r}: use redis://HOST:PORT/DB")
    query = parse_qs(parsed.query)
    namespace = (query.pop("namespace", ["csm"]) or ["csm"])[0]
    rest = urlencode({k: v[0] for k, v in query.items()})
    return urlunparse(parsed._replace(query=rest)), namespace


class RedisBus:
    """Bus over Redis pub/sub. Thread-safe publish; async-context subscribe (like LocalBus)."""

    def __init__(
        self,
        url: str,
        local_topics: frozenset[str] = LOCAL_TOPICS,
        outbox_limit: int = OUTBOX_LIMIT,
        max_backoff: float = 5.0,
    ) -> None:
        self.url, self.namespace = split_bus_url(url)
        self.local_topics = local_topics
        self.max_backoff = max_backoff
        self._local = LocalBus()
        self.client_name = f"{self.namespace}-bus-reader"  # shows in CLIENT LIST
        self._outbox_limit = outbox_limit
        self._wanted: dict[str, int] = {}
        self._wanted_lock = threading.Lock()
        self.connected = threading.Event()  # the reader holds a live subscription connection
        self.reconnects = 0
        self.dropped = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run_loop, name="redis-bus", daemon=True)
        self._thread.start()
        self._ready.wait(5)

    # -- public interface ------------------------------------------------------------------
    def publish(self, topic: str, message: BusMessage) -> None:
        check_message(topic, message)
        if topic in self.local_topics:
            self._local.deliver(topic, message)
            return
        if self._closed:
            return
        document = encode(topic, message)
        with contextlib.suppress(RuntimeError):  # loop closed during shutdown
            self._loop.call_soon_threadsafe(self._enqueue, self._channel(topic), document)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[BusMessage]]:
        async with self._local.subscribe(topic) as queue:
            if topic not in self.local_topics:
                self._want(topic, +1)
            try:
                yield queue
            finally:
                if topic not in self.local_topics:
                    self._want(topic, -1)

    def subscriber_count(self, topic: str) -> int:
        return self._local.subscriber_count(topic)

    def close(self) -> None:
        """Send what is still queued (briefly), then stop the background loop."""
        if self._closed:
            return
        self._closed = True
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        with contextlib.suppress(Exception):
            future.result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    # -- background loop ---------------------------------------------------------------------
    def _channel(self, topic: str) -> str:
        return f"{self.namespace}:bus:{topic}"

    def _topic(self, channel: str) -> str:
        return channel.removeprefix(f"{self.namespace}:bus:")

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(self._outbox_limit)
        self._changed = asyncio.Event()
        self._tasks = [
            self._loop.create_task(self._publisher()),
            self._loop.create_task(self._reader()),
        ]
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    def _enqueue(self, channel: str, document: str) -> None:
        if self._outbox.full():
            self._outbox.get_nowait()
            self.dropped += 1
        self._outbox.put_nowait((channel, document))

    def _want(self, topic: str, delta: int) -> None:
        with self._wanted_lock:
            count = self._wanted.get(topic, 0) + delta
            if count > 0:
                self._wanted[topic] = count
            else:
                self._wanted.pop(topic, None)
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._changed.set)

    def _wanted_channels(self) -> set[str]:
        with self._wanted_lock:
            return {self._channel(t) for t in self._wanted}

    def _backoff(self, delay: float) -> tuple[float, float]:
        """(sleep now, next delay): jittered exponential backoff capped at max_backoff."""
        return delay * (0.5 + random.random()), min(delay * 2, self.max_backoff)

    async def _publisher(self) -> None:
        client = aioredis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=2)
        delay = 0.1
        pending: tuple[str, str] | None = None
        try:
            while True:
                if pending is None:
                    pending = await self._outbox.get()
                try:
                    await client.publish(*pending)
                    pending = None
                    delay = 0.1
                except _RETRYABLE as exc:
                    pause, delay = self._backoff(delay)
                    log.warning("Redis publish failed (%s); retrying in %.1fs", exc.__class__.__name__, pause)
                    await asyncio.sleep(pause)
        finally:
            await client.aclose()

    async def _reader(self) -> None:
        delay = 0.1
        first = True
        while True:
            wanted = self._wanted_channels()
            if not wanted:
                self._changed.clear()
                await self._changed.wait()
                continue
            client = aioredis.Redis.from_url(
                self.url, socket_connect_timeout=2, health_check_interval=5, client_name=self.client_name
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*wanted)
                self.connected.set()
                if not first:
                    self.reconnects += 1
                    for topic in {self._topic(c) for c in wanted}:
                        self._local.deliver(topic, Resync())
                first = False
                delay = 0.1
                await self._pump(pubsub, wanted)
            except _RETRYABLE as exc:
                self.connected.clear()
                pause, delay = self._backoff(delay)
                log.warning("Redis subscription lost (%s); reconnecting in %.1fs", exc.__class__.__name__, pause)
                await asyncio.sleep(pause)
            except RedisError:
                self.connected.clear()
                log.exception("Redis subscription failed; reconnecting")
                pause, delay = self._backoff(delay)
                await asyncio.sleep(pause)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def _pump(self, pubsub: Any, subscribed: set[str]) -> None:
        """Deliver messages; follow changes in the wanted channels without reconnecting."""
        while True:
            if self._changed.is_set():
                self._changed.clear()
                wanted = self._wanted_channels()
                if not wanted:
                    return  # nobody listens any more: drop the connection until someone does
                if wanted - subscribed:
                    await pubsub.subscribe(*(wanted - subscribed))
                if subscribed - wanted:
                    await pubsub.unsubscribe(*(subscribed - wanted))
                subscribed = wanted
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else str(channel)
            topic = self._topic(channel)
            decoded = decode(topic, message["data"])
            if decoded is not None:
                self._local.deliver(topic, decoded)

    async def _shutdown(self) -> None:
        for _ in range(50):  # up to ~0.5 s to send what is queued
            if self._outbox.empty():
                break
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def open_bus(url: str | None) -> LocalBus | RedisBus:
    """`None`/"local" → the in-process bus; `redis://...` → RedisBus."""
    if not url or url == "local":
        return LocalBus()
    return RedisBus(url)
