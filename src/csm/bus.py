"""Publish/subscribe of live events inside one process (embedded default).

Publishers may be threads (MQTT client, sync request handlers); subscribers are asyncio queues.
The scale-out deployment swaps this for a Redis-backed bus with the same two methods. Messages are
the typed models of `csm.topics` (frozen, so one object may reach every local subscriber).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from csm.topics import BusMessage, check_message

# Slow subscribers lose the oldest events rather than growing memory without bound.
QUEUE_LIMIT = 1000


class Bus(Protocol):
    def publish(self, topic: str, message: BusMessage) -> None: ...

    def subscribe(self, topic: str) -> Any:
        """An async context manager yielding an asyncio.Queue of the topic's messages
        (`csm.topics.TOPIC_MESSAGES`, or `Resync`)."""
        ...


class LocalBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[BusMessage]]]] = {}
        self._lock = threading.Lock()

    def publish(self, topic: str, message: BusMessage) -> None:
        check_message(topic, message)
        self.deliver(topic, message)

    def deliver(self, topic: str, message: BusMessage) -> None:
        """Hand a (checked or decoded) message to this process's subscribers."""
        with self._lock:
            targets = list(self._subscribers.get(topic, ()))
        for loop, queue in targets:
            if loop.is_closed():
                continue
            try:
                loop.call_soon_threadsafe(_offer, queue, message)
            except RuntimeError:  # loop shut down between check and call
                continue

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[BusMessage]]:
        queue: asyncio.Queue[BusMessage] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers.setdefault(topic, []).append(entry)
        try:
            yield queue
        finally:
            with self._lock:
                self._subscribers[topic].remove(entry)

    def subscriber_count(self, topic: str) -> int:
        with self._lock:
            return len(self._subscribers.get(topic, ()))


def _offer(queue: asyncio.Queue[BusMessage], message: BusMessage) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(message)
