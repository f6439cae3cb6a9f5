"""Shared shapes of the attack run (`bench/attack.py`): the live target and one probe's outcome.

Each probe module (`bench/attack_*.py`) exposes `run_probes(target: AttackTarget) -> list[ProbeResult]`;
`bench/attack.py` starts a live server, calls every module and prints one table: probe, tried, held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class MqttTarget:
    """The broker the live server's ingest listens on, with credentials that may publish."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class AttackTarget:
    """A running `csm serve` under attack, and what a legitimate client of it knows."""

    base_url: str
    site_id: str
    site_dir: Path
    store_url: str
    admin_token: str
    ingest_token: str
    sensor_ids: tuple[str, ...]
    mqtt: MqttTarget | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProbeResult:
    """One probe: how many hostile inputs were tried and how many the server withstood."""

    probe: str
    tried: int
    held: int
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.tried > 0 and self.held == self.tried
