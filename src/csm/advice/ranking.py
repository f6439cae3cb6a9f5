"""Advice: which measures of the playbook to start now, given current levels and the forecast.

A measure is due when `start_by = (moment its level is expected) - (its lead time)` has come.
Ranking (explainable, no weights to tune): measures to start now before upcoming ones; then the
higher level first; then the more likely; then the earlier start_by. One advice per measure: when
several zones trigger it, the most urgent zone is named and the others listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from csm.advice.crossings import PredictedCrossing
from csm.advice.playbook import MeasureSchema, PlaybookSchema, measures_for
from csm.domain.advice import AdviceItem
from csm.domain.model import ORDERED_LEVELS, Level
from csm.site.model import Site

START_NOW = "start_now"
UPCOMING = "upcoming"


@dataclass(frozen=True, slots=True)
class Trigger:
    """Why a level matters for a zone: it holds now (kind 'current') or is predicted."""

    zone_id: str
    level: Level
    at: datetime
    probability: float
    kind: str  # current | predicted
    p50: float | None = None


def triggers_from(
    current: Mapping[str, tuple[Level, datetime | None]],
    crossings: Sequence[PredictedCrossing],
    now: datetime,
) -> list[Trigger]:
    """Current levels (every level up to the one a zone is at) and predicted crossings."""
    found = []
    for zone_id, (level, since) in current.items():
        for lower in ORDERED_LEVELS[1:]:
            if lower.rank <= level.rank:
                found.append(Trigger(zone_id, lower, since or now, 1.0, "current"))
    for c in crossings:
        found.append(Trigger(c.zone_id, c.level, c.at, c.peak_probability, "predicted", c.p50))
    return found


def _reason(site: Site, measure: MeasureSchema, trigger: Trigger, start_by: datetime, now: datetime) -> str:
    zone = site.zones[trigger.zone_id]
    local = trigger.at.astimezone(site.tz).strftime("%H:%M")
    start_local = start_by.astimezone(site.tz).strftime("%H:%M")
    if trigger.kind == "current":
        head = f"{zone.name} is {trigger.level.value} since {local}"
    else:
        minutes = max(0, round((trigger.at - now).total_seconds() / 60))
        expected = f" (about {trigger.p50:.0f} persons expected)" if trigger.p50 is not None else ""
        head = (
            f"{zone.name} expected to reach {trigger.level.value} at {local} (in {minutes} min),"
            f" probability {trigger.probability:.0%}{expected}"
        )
    return f"{head}; {measure.owner} needs {measure.lead_time_minutes} min lead time, so start by {start_local}"


def rank_advice(
    site: Site,
    playbook: PlaybookSchema,
    triggers: Sequence[Trigger],
    now: datetime,
    sources_by_zone: Mapping[str, Sequence[str]] | None = None,
) -> list[AdviceItem]:
    """Measures whose start_by has come (start_now) or comes within `upcoming_minutes`, ranked."""
    upcoming = timedelta(minutes=playbook.settings.upcoming_minutes)
    best: dict[str, tuple[MeasureSchema, Trigger, datetime]] = {}
    zones: dict[str, set[str]] = {}
    for trigger in triggers:
        if trigger.zone_id not in site.zones:
            continue
        for measure in measures_for(playbook, site, trigger.zone_id, trigger.level):
            start_by = trigger.at - timedelta(minutes=measure.lead_time_minutes)
            if start_by > now + upcoming:
                continue
            zones.setdefault(measure.id, set()).add(trigger.zone_id)
            held = best.get(measure.id)
            if held is None or (start_by, -trigger.probability) < (held[2], -held[1].probability):
                best[measure.id] = (measure, trigger, start_by)
    advice = []
    for measure_id, (measure, trigger, start_by) in best.items():
        sources = ["live picture" if trigger.kind == "current" else "forecast"]
        sources += list((sources_by_zone or {}).get(trigger.zone_id, ()))
        advice.append(
            AdviceItem(
                measure_id=measure_id,
                measure=measure.measure,
                owner=measure.owner,
                level=trigger.level,
                zone_id=trigger.zone_id,
                zones=tuple(sorted(zones[measure_id])),
                start_by=start_by,
                expected_at=trigger.at,
                lead_time_minutes=measure.lead_time_minutes,
                probability=trigger.probability,
                status=START_NOW if start_by <= now else UPCOMING,
                trigger=trigger.kind,
                reason=_reason(site, measure, trigger, start_by, now),
                sources=tuple(sources),
                where=measure.where,
            )
        )
    return sorted(
        advice,
        key=lambda a: (a.status != START_NOW, -a.level.rank, -a.probability, a.start_by, a.measure_id),
    )
