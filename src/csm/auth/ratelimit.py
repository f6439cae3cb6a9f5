"""Rate limits: failed logins (brute force) and ingest requests (flooding).

`SlidingWindow` keeps its counters in the process: right for one process. Behind several workers
each would limit on its own — five failed logins per worker, so N workers let N × 5 guesses
through — so a deployment with a Redis bus counts in Redis (`SharedSlidingWindow`): every worker
sees the same attempts and answers alike. Keys are hashed before they reach Redis (they hold
user names and addresses); when Redis cannot be reached a worker falls back to its own counters
(limiting less strictly for that while, never refusing everyone).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger(__name__)
T = TypeVar("T")
# Five failed logins per user name and address, thirty attempts per address, in five minutes;
# fifty ingest requests a second per ingest client.
LOGIN_FAILURES, LOGIN_ATTEMPTS, LOGIN_WINDOW = 5, 30, 300.0
INGEST_REQUESTS, INGEST_WINDOW = 50, 1.0


class RateWindow(Protocol):
    limit: int
    window: float

    def retry_after(self, key: str) -> float: ...

    def hit(self, key: str) -> None: ...

    def allow(self, key: str) -> bool: ...

    def reset(self, key: str) -> None: ...


class SlidingWindow:
    """At most `limit` events per `window` seconds per key."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may act again; 0 when it may act now."""
        now = time.monotonic()
        with self._lock:
            events = self._trim(key, now)
            if len(events) < self.limit:
                return 0.0
            return max(0.0, events[0] + self.window - now)

    def hit(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._trim(key, now).append(now)

    def allow(self, key: str) -> bool:
        """Record an event if under the limit; False (nothing recorded) when over it."""
        now = time.monotonic()
        with self._lock:
            events = self._trim(key, now)
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


# After Redis failed, a worker limits on its own for this long before trying Redis again.
DOWN_SECONDS = 5.0
# A request waits at most this long for Redis (loopback answers in well under a millisecond).
REDIS_TIMEOUT_SECONDS = 0.25

# Trim what fell out of the window, then (for a limit) count, and record the event if allowed:
# one round trip, atomic across workers. ARGV: now, window (s), limit (0: no limit), member.
_RECORD = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local limit = tonumber(ARGV[3])
if limit > 0 and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000))
return 1
"""
# The oldest event's time when the key is at its limit, else -1. ARGV: now, window, limit.
_OLDEST_AT_LIMIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then return '-1' end
return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
"""


class SharedSlidingWindow:
    """At most `limit` events per `window` seconds per key, counted in Redis for every worker."""

    def __init__(self, client: Redis, name: str, limit: int, window: float, namespace: str = "csm") -> None:
        self.limit = limit
        self.window = window
        self._client = client
        self._prefix = f"{namespace}:ratelimit:{name}:"
        self._record: Any = client.register_script(_RECORD)
        self._oldest: Any = client.register_script(_OLDEST_AT_LIMIT)
        self._fallback = SlidingWindow(limit, window)
        self._warned = 0.0
        self._down_until = 0.0  # after a failure, the worker's own counters for a while

    def _key(self, key: str) -> str:
        return self._prefix + hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()

    def _counted(self, shared: Callable[[], T], own: Callable[[SlidingWindow], T]) -> T:
        """`shared()` in Redis; the worker's own counters (`own`) while Redis is known to be down
        (DOWN_SECONDS after a failure: a request then does not wait on it) or when it just failed."""
        if time.monotonic() >= self._down_until:
            try:
                return shared()
            except RedisError as exc:
                self._unreachable(exc)
        self._fallback.limit, self._fallback.window = self.limit, self.window  # the limit may be changed
        return own(self._fallback)

    def _unreachable(self, exc: RedisError) -> None:
        now = time.monotonic()
        self._down_until = now + DOWN_SECONDS
        if now - self._warned > 60:  # one line a minute, not one per request
            self._warned = now
            log.warning("rate limit %s: Redis unreachable (%s); limiting per worker meanwhile",
                        self._prefix, type(exc).__name__)

    def retry_after(self, key: str) -> float:
        def shared() -> float:
            now = time.time()
            oldest = float(self._oldest(keys=[self._key(key)], args=[now, self.window, self.limit]))
            return 0.0 if oldest < 0 else max(0.0, oldest + self.window - now)

        return self._counted(shared, lambda own: own.retry_after(key))

    def _add(self, key: str, limit: int) -> bool:
        now = time.time()
        return bool(self._record(keys=[self._key(key)], args=[now, self.window, limit, f"{now}:{uuid.uuid4().hex}"]))

    def hit(self, key: str) -> None:
        self._counted(lambda: self._add(key, 0), lambda own: own.hit(key))

    def allow(self, key: str) -> bool:
        return self._counted(lambda: self._add(key, self.limit), lambda own: own.allow(key))

    def reset(self, key: str) -> None:
        self._fallback.reset(key)
        self._counted(lambda: self._client.delete(self._key(key)), lambda own: None)


def limits_client(url: str) -> Redis:
    """A Redis client that answers or fails within REDIS_TIMEOUT_SECONDS: no retries with backoff
    (redis-py's default would hold a login for seconds while Redis is down)."""
    return Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                          retry=Retry(NoBackoff(), 0))


@dataclass
class RateLimits:
    """The limits of one API process; `shared` counts them in Redis for every worker."""

    login_failures: RateWindow  # per user name + address
    login_attempts_per_address: RateWindow
    ingest_requests: RateWindow  # per ingest client

    @classmethod
    def in_process(cls) -> RateLimits:
        return cls(SlidingWindow(LOGIN_FAILURES, LOGIN_WINDOW), SlidingWindow(LOGIN_ATTEMPTS, LOGIN_WINDOW),
                   SlidingWindow(INGEST_REQUESTS, INGEST_WINDOW))

    @classmethod
    def shared(cls, url: str, namespace: str) -> RateLimits:
        client = limits_client(url)
        return cls(SharedSlidingWindow(client, "login-failures", LOGIN_FAILURES, LOGIN_WINDOW, namespace),
                   SharedSlidingWindow(client, "login-attempts", LOGIN_ATTEMPTS, LOGIN_WINDOW, namespace),
                   SharedSlidingWindow(client, "ingest-requests", INGEST_REQUESTS, INGEST_WINDOW, namespace))
