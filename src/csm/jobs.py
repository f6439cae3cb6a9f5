"""Watched background jobs: one supervisor names every job, logs its failures with their
traceback, restarts it with exponential backoff and keeps last success / last error per job.

A job is a coroutine `(runtime, stop)` that loops until `stop` is set. It tells the supervisor how
it is doing without knowing it: `job_succeeded()` after a good round, `job_failed(exc)` for a
failure it handled itself (one site of several); a job that raises is restarted. Health of the
deployment's singleton jobs (those run by the leader) is written to the store, so every API
worker shows the same in /readyz and /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
import time
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from csm.clock import Clock
from csm.store.base import Store

log = logging.getLogger(__name__)
JobState = Literal["running", "backing_off", "stopped"]
JOB_HEALTH_KIND = "job"
DEPLOYMENT = ""  # shared-state site id of deployment-wide entries
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0
SUCCESS_WRITE_SECONDS = 10.0  # a job succeeding every tick writes its health at most this often
ERROR_TEXT_LIMIT = 2000


@dataclass
class JobHealth:
    """What /readyz and /metrics show of one job."""

    name: str
    state: JobState = "running"
    started_at: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures_in_a_row: int = 0
    restarts: int = 0
    errors: int = 0

    @property
    def failing(self) -> bool:
        """The newest outcome is an error (nothing succeeded since)."""
        return self.last_error_at is not None and (self.last_success is None or self.last_error_at > self.last_success)

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        for key in ("started_at", "last_success", "last_error_at"):
            moment = document[key]
            document[key] = moment.isoformat() if moment is not None else None
        document["failing"] = self.failing
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> JobHealth:
        moments = {k: datetime.fromisoformat(document[k]) if document.get(k) else None
                   for k in ("started_at", "last_success", "last_error_at")}
        return cls(
            name=str(document["name"]), state=document.get("state", "running"),
            last_error=document.get("last_error"), failures_in_a_row=int(document.get("failures_in_a_row", 0)),
            restarts=int(document.get("restarts", 0)), errors=int(document.get("errors", 0)), **moments,
        )


_CURRENT: contextvars.ContextVar[tuple[Supervisor, str] | None] = contextvars.ContextVar("csm_job", default=None)


def job_succeeded() -> None:
    """Called by a job after a good round (no-op outside a supervised job)."""
    current = _CURRENT.get()
    if current is not None:
        current[0].succeeded(current[1])


def job_failed(exc: BaseException, what: str = "") -> None:
    """Called by a job for a failure it handled and keeps going after; logged with traceback."""
    current = _CURRENT.get()
    name = current[1] if current is not None else "?"
    log.error("job %s: %s failed", name, what or "a round", exc_info=exc)
    if current is not None:
        current[0].failed(current[1], exc)


JobBody = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
# A job's function: (services, stop) -> loop until stop. `services` is the runtime (csm.context.Services)
# or any narrower protocol the job declares (ingest workers take csm.ingest.ports.IngestTargets).
BackgroundJob = Callable[[Any, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Job:
    """A named background job. One process of the deployment runs it (the leader); the
    supervisor restarts it with backoff when it raises."""

    name: str
    run: BackgroundJob


@dataclass
class Supervisor:
    """Runs named jobs; `store` given: health of `shared` jobs is written there for every worker."""

    clock: Clock
    store: Store | None = None
    first_backoff: float = FIRST_BACKOFF_SECONDS
    max_backoff: float = MAX_BACKOFF_SECONDS
    health: dict[str, JobHealth] = field(default_factory=dict)
    _shared: set[str] = field(default_factory=set)
    _written: dict[str, float] = field(default_factory=dict)
    _pending: dict[str, tuple[dict[str, Any], datetime]] = field(default_factory=dict)
    _pending_lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _writer: threading.Thread | None = None
    _in_flight: int = 0

    def start(self, name: str, body: JobBody, stop: asyncio.Event, shared: bool = False) -> asyncio.Task[None]:
        """Start `body(stop)` as a watched task named `name`."""
        self.health[name] = JobHealth(name, started_at=self.clock.now())
        if shared:
            self._shared.add(name)
        self._persist(name, force=True)
        return asyncio.create_task(self._watch(name, body, stop), name=f"job:{name}")

    async def _watch(self, name: str, body: JobBody, stop: asyncio.Event) -> None:
        _CURRENT.set((self, name))
        while not stop.is_set():
            try:
                await body(stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("job %s crashed; restarting", name)
                self.failed(name, exc)
                delay = min(self.max_backoff, self.first_backoff * 2 ** (self.health[name].failures_in_a_row - 1))
                self._set_state(name, "backing_off")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                if not stop.is_set():
                    self.health[name].restarts += 1
                    self._set_state(name, "running")
                continue
            if not stop.is_set():  # a loop that returns by itself has finished its work
                log.info("job %s finished", name)
                break
        self._set_state(name, "stopped")

    def succeeded(self, name: str) -> None:
        health = self.health[name]
        health.last_success = self.clock.now()
        was_failing = health.failures_in_a_row > 0
        health.failures_in_a_row = 0
        self._persist(name, force=was_failing)

    def failed(self, name: str, exc: BaseException) -> None:
        health = self.health[name]
        health.last_error = "".join(traceback.format_exception_only(exc)).strip()[:ERROR_TEXT_LIMIT]
        health.last_error_at = self.clock.now()
        health.failures_in_a_row += 1
        health.errors += 1
        self._persist(name, force=True)

    def _set_state(self, name: str, state: JobState) -> None:
        self.health[name].state = state
        self._persist(name, force=True)

    def _persist(self, name: str, force: bool) -> None:
        """Hand the job's health to the writer thread: a slow or absent store never blocks a job
        or the event loop, and only the newest health of each job is written."""
        if self.store is None or name not in self._shared:
            return
        now = time.monotonic()
        if not force and now - self._written.get(name, -SUCCESS_WRITE_SECONDS) < SUCCESS_WRITE_SECONDS:
            return
        self._written[name] = now
        with self._pending_lock:
            self._pending[name] = (self.health[name].to_dict(), self.clock.now())
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_pending, name="job-health", daemon=True)
                self._writer.start()
        self._wake.set()

    def _write_pending(self) -> None:
        while True:
            self._wake.wait(timeout=60)
            self._wake.clear()
            with self._pending_lock:
                batch, self._pending = self._pending, {}
                self._in_flight = len(batch)
            for name, (document, at) in batch.items():
                try:
                    assert self.store is not None
                    self.store.put_state(DEPLOYMENT, JOB_HEALTH_KIND, name, document, at)
                except Exception:  # the store being away is reported by /readyz; the job keeps running
                    log.warning("could not record health of job %s", name, exc_info=True)
            with self._pending_lock:
                self._in_flight = 0

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until the health handed to the writer is written (tests, orderly shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._pending_lock:
                if not self._pending and not self._in_flight:
                    break
            time.sleep(0.01)


def stored_job_health(store: Store) -> list[JobHealth]:
    """Health of the deployment's singleton jobs as the leader last wrote it."""
    return [JobHealth.from_dict(entry.payload) for entry in store.read_state(DEPLOYMENT, JOB_HEALTH_KIND)]


async def stop_tasks(tasks: list[asyncio.Task[None]], what: str) -> None:
    """Cancel and await tasks; anything but cancellation is logged, never swallowed silently."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("%s: task %s failed while stopping", what, task.get_name())
