"""Which process runs the deployment's singleton jobs (advice, forecasts, retention, sources).

Several API workers share one store; each computes its own live picture, but jobs that append to
shared logs (alerts) or call outside services must run once. The leader is whoever holds a
PostgreSQL session advisory lock: the store is needed for those jobs anyway, so this adds no new
failure mode, and the lock is released by the server the moment the leader's connection dies
(a crashed or killed process hands over within one renewal period, without a lease timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

import psycopg

from csm.jobs import stop_tasks
from csm.store.factory import store_backend

log = logging.getLogger(__name__)
LEADER_CHECK_SECONDS = 2.0


class Leadership(Protocol):
    def acquire(self) -> bool:
        """Try to lead (or confirm we still do). Never raises: an outage means "not leading"."""
        ...

    def release(self) -> None: ...


class SoleLeader:
    """One process owns the store (embedded DuckDB): it always leads."""

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        return None


class PgAdvisoryLeadership:
    """Leadership as a session advisory lock on a dedicated connection (one per process)."""

    def __init__(self, url: str, name: str = "jobs") -> None:
        self.url = url
        self.name = name
        self._key = f"csm-leader:{name}:"
        self._conn: psycopg.Connection[Any] | None = None
        self._held = False

    def acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._held = False
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=3)
            if self._held:
                self._conn.execute("SELECT 1")  # the connection lives, so the lock is still ours
                return True
            row = self._conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s || current_schema()))", [self._key]
            ).fetchone()
            self._held = bool(row and row[0])
            return self._held
        except psycopg.Error as exc:
            if self._held:
                log.warning("lost leadership: %s", exc.__class__.__name__)
            self._drop()
            return False

    def release(self) -> None:
        """Unlock at once (closing alone frees the lock only once the server notices)."""
        if self._held and self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(hashtext(%s || current_schema()))", [self._key])
        self._drop()

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error as exc:  # the connection is dead already: that is what we wanted
                log.debug("closing the leadership connection: %s", exc)
        self._conn = None


def leadership_for(store_url: str) -> Leadership:
    """A shared PostgreSQL store may have several processes: elect; otherwise lead alone."""
    if store_backend(store_url) == "postgresql":
        return PgAdvisoryLeadership(store_url)
    return SoleLeader()


async def run_while_leading(
    leadership: Leadership,
    stop: asyncio.Event,
    start_jobs: Callable[[asyncio.Event], list[asyncio.Task[None]]],
    check_seconds: float = LEADER_CHECK_SECONDS,
) -> None:
    """Start the jobs when leadership is won, stop them when it is lost, until `stop`."""
    tasks: list[asyncio.Task[None]] = []
    jobs_stop = asyncio.Event()
    try:
        while not stop.is_set():
            leading = await asyncio.to_thread(leadership.acquire)
            if leading and not tasks:
                log.info("this process now runs the singleton jobs")
                jobs_stop = asyncio.Event()
                tasks = start_jobs(jobs_stop)
            elif not leading and tasks:
                log.warning("leadership lost: stopping singleton jobs")
                await _stop_all(jobs_stop, tasks)
                tasks = []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=check_seconds)
    finally:
        await _stop_all(jobs_stop, tasks)
        await asyncio.to_thread(leadership.release)


async def _stop_all(jobs_stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    jobs_stop.set()
    await stop_tasks(tasks, "leadership")
