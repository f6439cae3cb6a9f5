"""The sandbox sessions of one server process; bounded, so training cannot exhaust memory."""

from __future__ import annotations

import threading

from csm.training.session import TrainingError, TrainingSession

MAX_SESSIONS = 8


class TrainingRegistry:
    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self.limit = limit
        self._sessions: dict[str, TrainingSession] = {}
        self._lock = threading.Lock()

    def add(self, session: TrainingSession) -> None:
        with self._lock:
            if len(self._sessions) >= self.limit:
                session.close()
                raise TrainingError(f"at most {self.limit} training sessions at once; end one first")
            self._sessions[session.id] = session

    def get(self, session_id: str) -> TrainingSession | None:
        with self._lock:
            return self._sessions.get(session_id)

    def all(self) -> list[TrainingSession]:
        with self._lock:
            return list(self._sessions.values())

    def remove(self, session_id: str) -> bool:
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        session.close()
        return True

    def close(self) -> None:
        for session in self.all():
            self.remove(session.id)
