"""Clocks: the wall clock for live use, an accelerated simulated clock for the demo and training."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """Runs from `start` at `speed` × real time; can be paused and jumped (training, demo)."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._origin_sim = start.astimezone(UTC)
        self._origin_wall = time.monotonic()
        self.speed = speed
        self._paused_at: datetime | None = None

    def now(self) -> datetime:
        if self._paused_at is not None:
            return self._paused_at
        elapsed = time.monotonic() - self._origin_wall
        return self._origin_sim + timedelta(seconds=elapsed * self.speed)

    def set_speed(self, speed: float) -> None:
        self.jump_to(self.now())
        self.speed = speed

    def jump_to(self, moment: datetime) -> None:
        self._origin_sim = moment.astimezone(UTC)
        self._origin_wall = time.monotonic()
        if self._paused_at is not None:
            self._paused_at = self._origin_sim

    def pause(self) -> None:
        self._paused_at = self.now()

    def resume(self) -> None:
        if self._paused_at is not None:
            moment = self._paused_at
            self._paused_at = None
            self.jump_to(moment)

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def anchor(self) -> dict[str, object]:
        """The clock as plain data another process can follow (`follow`): where simulated time
        stood at which wall-clock moment (Unix seconds), its speed, and whether it is paused."""
        wall = time.time() - (time.monotonic() - self._origin_wall)
        paused = self._paused_at.isoformat() if self._paused_at is not None else None
        return {"sim": self._origin_sim.isoformat(), "wall": wall, "speed": self.speed, "paused_at": paused}

    def follow(self, anchor: dict[str, object]) -> None:
        """Run as the clock that gave `anchor` runs (the wall clocks of both hosts agree)."""
        self._origin_sim = datetime.fromisoformat(str(anchor["sim"])).astimezone(UTC)
        self._origin_wall = time.monotonic() - (time.time() - float(str(anchor["wall"])))
        self.speed = float(str(anchor["speed"]))
        paused = anchor.get("paused_at")
        self._paused_at = datetime.fromisoformat(str(paused)).astimezone(UTC) if paused else None


class FixedClock:
    """A clock that only moves when told to: for tests."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **kwargs: float) -> None:
        self.moment += timedelta(**kwargs)
