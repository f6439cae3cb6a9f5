"""GTFS-Realtime Alerts as service disruptions: what is affected (routes, stops), how (effect),
why (cause), when (active periods) and the operator's own words (header, description).

An alert is kept when it is active at the feed time and names a configured stop or route (all
alerts when neither is configured). Effects that take service away from a stop
(NO_SERVICE, REDUCED_SERVICE, DETOUR, STOP_MOVED, ...) are marked `removes_service`: advice
uses them, because people then walk to other stops and zones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.transit import gtfs_realtime_pb2
from pydantic import BaseModel, Field

Alert = gtfs_realtime_pb2.Alert
REMOVES_SERVICE = {"NO_SERVICE", "REDUCED_SERVICE", "DETOUR", "STOP_MOVED"}
LANGUAGES = ("nl", "en", "")
OPEN_END = 10**11  # beyond any POSIX second of this era


class Disruption(BaseModel):
    """One service disruption, as the API serves it."""

    id: str
    cause: str = Field(description="GTFS-Realtime Alert.Cause, e.g. CONSTRUCTION, ACCIDENT")
    effect: str = Field(description="GTFS-Realtime Alert.Effect, e.g. NO_SERVICE, DETOUR")
    removes_service: bool = Field(description="the affected stops are not (fully) served")
    header: str
    description: str
    url: str | None = None
    routes: list[str] = Field(default_factory=list, description="route_ids named by the alert")
    stops: list[str] = Field(default_factory=list, description="stop_ids named by the alert")
    start: datetime | None = None
    end: datetime | None = None
    zones: list[str] = Field(default_factory=list, description="zones served by the affected stops (API)")


def _text(translated: Any) -> str:
    by_language = {t.language.lower(): t.text for t in translated.translation}
    for language in LANGUAGES:
        if by_language.get(language):
            return str(by_language[language])
    return str(next(iter(by_language.values()), ""))


def _moment(seconds: int) -> datetime | None:
    """Open ends are 0 or, in some feeds, the largest uint64: both mean "no end"."""
    return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < OPEN_END else None


def _period(alert: Any, at: int) -> tuple[bool, datetime | None, datetime | None]:
    """Active at `at`? and the period that holds it."""
    if not alert.active_period:
        return True, None, None
    for period in alert.active_period:
        if (not period.start or period.start <= at) and (not period.end or at < period.end):
            return True, _moment(period.start), _moment(period.end)
    return False, None, None


def disruption_of(entity_id: str, alert: Any, at: int) -> Disruption | None:
    active, start, end = _period(alert, at)
    if not active:
        return None
    effect = Alert.Effect.Name(alert.effect) if alert.HasField("effect") else "UNKNOWN_EFFECT"
    return Disruption(
        id=entity_id, cause=Alert.Cause.Name(alert.cause) if alert.HasField("cause") else "UNKNOWN_CAUSE",
        effect=effect, removes_service=effect in REMOVES_SERVICE,
        header=_text(alert.header_text), description=_text(alert.description_text),
        url=_text(alert.url) or None,
        routes=sorted({e.route_id for e in alert.informed_entity if e.route_id}
                      | {e.trip.route_id for e in alert.informed_entity if e.HasField("trip") and e.trip.route_id}),
        stops=sorted({e.stop_id for e in alert.informed_entity if e.stop_id}),
        start=start, end=end,
    )


def active_disruptions(feed: Any, settings: Any, at: int) -> list[Disruption]:
    """Alerts active at `at` that concern the configured stops or routes (all if none configured)."""
    stops, routes = set(settings.stops), set(settings.routes)
    found = []
    for entity in feed.entity:
        if not entity.HasField("alert"):
            continue
        disruption = disruption_of(entity.id, entity.alert, at)
        if disruption is None:
            continue
        if (stops or routes) and not (stops & set(disruption.stops) or routes & set(disruption.routes)):
            continue
        found.append(disruption)
    return found


def with_zones(disruptions: list[Disruption], stops: dict[str, Any]) -> list[Disruption]:
    """Fill in the zones a disruption touches, from the GTFS source's stops near zones
    ({stop_id: {"zones": [...], "route_ids": [...]}}): named stops, and stops of named routes."""
    placed = []
    for disruption in disruptions:
        zones: set[str] = set()
        for stop_id, stop in stops.items():
            if stop_id in disruption.stops or set(stop.get("route_ids", [])) & set(disruption.routes):
                zones |= set(stop.get("zones", []))
        placed.append(disruption.model_copy(update={"zones": sorted(zones)}))
    return placed


def disruptions_from(gtfs: list[dict[str, Any]], realtime: list[dict[str, Any]]) -> list[Disruption]:
    """Disruptions of the realtime sources' descriptions, placed in zones by the GTFS sources'."""
    stops: dict[str, Any] = {}
    for described in gtfs:
        stops.update(described.get("stops", {}))
    found: dict[str, Disruption] = {}
    for described in realtime:
        for raw in described.get("disruptions", []):
            disruption = Disruption.model_validate(raw)
            found[disruption.id] = disruption
    return with_zones(sorted(found.values(), key=lambda d: d.id), stops)
