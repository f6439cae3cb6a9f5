"""ZoneState ↔ JSON-ready dicts: one shape for the REST answer, the live stream and the dashboard.

`ZoneStateModel` is that shape, typed: the API declares it (and the dashboard's types are generated
from it), and stages that read the picture's snapshot (the advice engine) parse it instead of
indexing dicts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from csm.domain.model import ZoneState
from csm.site.model import Site


class SourceFreshnessModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    sensor_id: str
    kind: str
    last_interval_end: datetime | None
    age_seconds: float | None
    stale: bool


class ZoneStateModel(BaseModel):
    """One zone of the live picture, rounded as the dashboard shows it. `suppressed` marks a state
    whose small counts are hidden from the caller (k-anonymity)."""

    model_config = ConfigDict(frozen=True)

    zone_id: str
    name: str
    occupancy: float | None
    density_per_m2: float | None
    level: Literal["green", "yellow", "orange", "red", "unknown"]
    capacity: float
    walkable_area_m2: float
    utilisation: float | None
    stale: bool
    as_of: datetime
    last_data_at: datetime | None
    sources: list[SourceFreshnessModel]
    suppressed: bool | None = None


class ZonesMessage(BaseModel):
    """What the picture publishes on the bus topic "zones": the zones whose visible state changed."""

    site: str
    as_of: datetime
    zones: list[ZoneStateModel]


def zones_message(site_id: str, as_of: datetime, changed: list[dict[str, Any]]) -> dict[str, Any]:
    """The bus message, checked against its model (the bus carries JSON-ready dicts; the stream
    and the advice engine rely on this shape)."""
    message = {"site": site_id, "as_of": as_of.isoformat(), "zones": changed}
    ZonesMessage.model_validate(message)
    return message


def zone_states(snapshot: list[dict[str, Any]]) -> list[ZoneStateModel]:
    """A picture snapshot (JSON-ready dicts) as typed zone states."""
    return [ZoneStateModel.model_validate(z) for z in snapshot]


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def zone_state_dict(state: ZoneState, site: Site) -> dict[str, Any]:
    sensors = site.sensors
    return {
        "zone_id": state.zone_id,
        "name": state.name,
        "occupancy": _round(state.occupancy, 0),
        "density_per_m2": _round(state.density_per_m2, 3),
        "level": state.level.value,
        "capacity": round(state.capacity),
        "walkable_area_m2": state.walkable_area_m2,
        "utilisation": _round(state.utilisation, 3),
        "stale": state.stale,
        "as_of": state.as_of.isoformat(),
        "last_data_at": state.last_data_at.isoformat() if state.last_data_at else None,
        "sources": [
            {
                "sensor_id": s.sensor_id,
                "kind": sensors[s.sensor_id].kind.value,
                "last_interval_end": s.last_interval_end.isoformat() if s.last_interval_end else None,
                "age_seconds": _round(s.age_seconds, 0),
                "stale": s.stale,
            }
            for s in state.sources
        ],
    }


def visible_change(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether a dashboard would show something different (ignores the as_of tick)."""
    if old is None:
        return True
    keys = ("occupancy", "level", "stale", "last_data_at")
    return any(old.get(k) != new.get(k) for k in keys)
