"""The training sessions of a deployment: bounded, so training cannot exhaust memory, and kept
in the store so that every API worker knows every session.

Each session's spec (site, mode, start, clock, incidents) is stored under kind "training"; a
worker that is asked about a session it has not built yet rebuilds the sandbox from the spec,
and follows newer revisions (pause, speed, jump, incidents) written by other workers.
"""

from __future__ import annotations

import threading
from typing import Any

from csm.context import Services, Slot
from csm.training.session import TrainingError, TrainingSession, restore_session

MAX_SESSIONS = 8
TRAINING_KIND = "training"


class TrainingRegistry:
    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self.limit = limit
        self._services: Services | None = None
        self._sandboxes: dict[str, TrainingSession] = {}
        self._lock = threading.RLock()

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the training registry is used before training_registry() bound it")
        return self._services

    def _save(self, session: TrainingSession) -> None:
        store, clock = self.services.store, self.services.clock
        store.put_state(session.site.id, TRAINING_KIND, session.id, session.spec(), clock.now())

    def add(self, session: TrainingSession) -> None:
        with self._lock:
            if len(self.services.store.read_state(None, TRAINING_KIND)) >= self.limit:
                session.close()
                raise TrainingError(f"at most {self.limit} training sessions at once; end one first")
            session.on_change = self._save
            self._save(session)
            self._sandboxes[session.id] = session

    def get(self, session_id: str) -> TrainingSession | None:
        entries = self.services.store.read_state(None, TRAINING_KIND, session_id)
        with self._lock:
            if not entries:
                self._drop(session_id)  # ended by another worker
                return None
            return self._follow(entries[0].payload)

    def all(self) -> list[TrainingSession]:
        entries = self.services.store.read_state(None, TRAINING_KIND)
        with self._lock:
            for gone in set(self._sandboxes) - {e.key for e in entries}:
                self._drop(gone)
            return [s for e in entries if (s := self._follow(e.payload)) is not None]

    def remove(self, session_id: str) -> bool:
        entries = self.services.store.read_state(None, TRAINING_KIND, session_id)
        with self._lock:
            self._drop(session_id)
            return bool(entries) and self.services.store.delete_state(entries[0].site_id, TRAINING_KIND, session_id)

    def close(self) -> None:
        """Drop this process's sandboxes (the sessions stay for the other workers)."""
        with self._lock:
            for session_id in list(self._sandboxes):
                self._drop(session_id)

    def _follow(self, spec: dict[str, Any]) -> TrainingSession | None:
        session_id = str(spec["id"])
        session = self._sandboxes.get(session_id)
        if session is None:
            site_runtime = self.services.sites.get(str(spec["site"]))
            if site_runtime is None:
                return None  # a site this worker does not serve
            session = restore_session(spec, site_runtime.site, self.services.store)
            session.on_change = self._save
            self._sandboxes[session_id] = session
        elif int(spec["revision"]) != session.revision:
            session.follow(spec)
        return session

    def _drop(self, session_id: str) -> None:
        session = self._sandboxes.pop(session_id, None)
        if session is not None:
            session.close()


TRAINING = Slot("training.registry", TrainingRegistry)


def training_registry(services: Services) -> TrainingRegistry:
    """The runtime's registry (one per runtime, made on first use)."""
    registry = services.state.get(TRAINING)
    registry._services = services
    return registry
