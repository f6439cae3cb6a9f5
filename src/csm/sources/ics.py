"""iCalendar (RFC 5545) events for the events source: recurrences expanded with
recurring-ical-events over icalendar, each event mapped to zones and expected visitors.

Real calendars (a municipality's agenda export) carry no CSM fields, so configurable rules map
LOCATION text, CATEGORIES and words of SUMMARY/DESCRIPTION to zones and a visitor estimate.
Each VEVENT (all instances of one UID) is expanded on its own, so one broken event is refused
alone and reported while the rest of the calendar is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import icalendar
import recurring_ical_events
from pydantic import BaseModel, ConfigDict, Field

from csm.site.model import Site
from csm.sources.parsing import SourceReason
from csm.sources.protocol import SourceError

SITE_WIDE = "*"
log = logging.getLogger(__name__)


class EventRule(BaseModel):
    """Every criterion given must match (each by any of its values); empty criteria match all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    location: list[str] = Field(default_factory=list, description="text contained in LOCATION (any case)")
    categories: list[str] = Field(default_factory=list, description="a CATEGORIES value (any case)")
    keywords: list[str] = Field(default_factory=list, description="a word or phrase in SUMMARY or DESCRIPTION")
    zones: list[str] = Field(default_factory=lambda: [SITE_WIDE], description="zone ids, or * for the site")
    expected_visitors: float | None = Field(None, ge=0, le=5_000_000, description="default: the source's default")

    def matches(self, location: str, categories: set[str], text: str) -> bool:
        return (
            (not self.location or any(p.lower() in location for p in self.location))
            and (not self.categories or any(c.lower() in categories for c in self.categories))
            and (not self.keywords or any(k.lower() in text for k in self.keywords))
        )


@dataclass(frozen=True)
class IcsProblem:
    reason: str
    field: str
    detail: str


def _aware(value: Any, site: Site) -> datetime:
    """DATE → local midnight (all-day events); floating DATE-TIME → site local time."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=site.tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=site.tz)
    raise ValueError(f"not a date or time: {value!r}")


def _categories(component: Any) -> set[str]:
    raw = component.get("CATEGORIES")
    found: set[str] = set()
    for item in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        cats = getattr(item, "cats", None)
        found |= {str(c).strip().lower() for c in (cats if cats is not None else str(item).split(","))}
    return found


def _zone_named(text: str, site: Site) -> str | None:
    cleaned = text.strip().lower()
    for zone in site.zones.values():
        if cleaned in (zone.id, zone.name.lower()):
            return zone.id
    return None


def _mapping(component: Any, site: Site, rules: list[EventRule], default_visitors: float,
             uid: str) -> tuple[list[str], float]:
    """Zones and expected visitors: X-CSM fields, else the first matching rule, else LOCATION."""
    explicit_zones = str(component.get("X-CSM-ZONES", "") or "")
    explicit_visitors = component.get("X-CSM-EXPECTED-VISITORS")
    location = str(component.get("LOCATION", "") or "")
    text = f"{component.get('SUMMARY', '')} {component.get('DESCRIPTION', '')}".lower()
    rule = next((r for r in rules if r.matches(location.lower(), _categories(component), text)), None)
    if explicit_zones:
        zones = sorted({_zone_named(z, site) or z.strip() for z in explicit_zones.split(",") if z.strip()})
    elif rule is not None:
        zones = list(rule.zones)
    else:
        named = [_zone_named(part, site) for part in location.split(",")] if location else []
        zones = sorted({z for z in named if z}) or [SITE_WIDE]
    unknown = [z for z in zones if z != SITE_WIDE and z not in site.zones]
    if unknown:
        raise SourceError(SourceReason.UNKNOWN_REFERENCE, f"{uid}.X-CSM-ZONES", f"unknown zone {unknown[0]!r}")
    if explicit_visitors is not None:
        try:
            visitors = float(str(explicit_visitors))
        except ValueError:
            raise SourceError(SourceReason.BAD_VALUE, f"{uid}.X-CSM-EXPECTED-VISITORS",
                              f"not a number: {str(explicit_visitors)[:32]!r}") from None
    elif rule is not None and rule.expected_visitors is not None:
        visitors = rule.expected_visitors
    else:
        visitors = default_visitors
    return zones, visitors


def _end_of(occurrence: Any, start: datetime, site: Site) -> datetime:
    """RFC 5545 3.6.1: DTEND, else DTSTART + DURATION, else one day (DATE) or zero length."""
    if occurrence.get("DTEND") is not None:
        return _aware(occurrence.decoded("DTEND"), site)
    if occurrence.get("DURATION") is not None:
        return start + occurrence.decoded("DURATION")
    if not isinstance(occurrence.decoded("DTSTART"), datetime):
        return _aware(occurrence.decoded("DTSTART") + timedelta(days=1), site)
    return start


def _grouped(calendar: Any) -> tuple[list[Any], dict[str, list[Any]]]:
    timezones = list(calendar.walk("VTIMEZONE"))
    by_uid: dict[str, list[Any]] = {}
    for i, component in enumerate(calendar.walk("VEVENT")):
        by_uid.setdefault(str(component.get("UID") or f"event-{i}"), []).append(component)
    return timezones, by_uid


def _expand(components: list[Any], timezones: list[Any], start: datetime, end: datetime) -> list[Any]:
    single = icalendar.Calendar()
    for component in [*timezones, *components]:
        single.add_component(component)
    return list(recurring_ical_events.of(single).between(start, end))


def _check(uid: str, components: list[Any], site: Site) -> None:
    if any(c.get("DTSTART") is None for c in components):
        raise SourceError(SourceReason.MISSING_FIELD, f"{uid}.DTSTART", f"event {uid} has no DTSTART")
    for component in components:  # the expander would silently swap them
        if component.get("DTEND") is not None and _aware(component.decoded("DTEND"), site) < _aware(
                component.decoded("DTSTART"), site):
            raise SourceError(SourceReason.BAD_VALUE, f"{uid}.DTEND", f"event {uid} ends before it starts")


def _occurrences(by_uid: dict[str, list[Any]], timezones: list[Any], start: datetime, end: datetime,
                 problems: list[IcsProblem]) -> dict[str, list[Any]]:
    """Instances per UID: the whole calendar at once (fast), or UID by UID when events lack a UID
    or the expander trips over one of them (then only that one is refused)."""
    if all(str(c.get("UID") or "") == uid for uid, cs in by_uid.items() for c in cs):
        try:
            found: dict[str, list[Any]] = {uid: [] for uid in by_uid}
            for occurrence in _expand([c for cs in by_uid.values() for c in cs], timezones, start, end):
                found[str(occurrence.get("UID"))].append(occurrence)
            return found
        except Exception:  # a rule the expander cannot follow: find the event below
            log.info("calendar expansion failed as a whole; expanding event by event")
    found = {}
    for uid, components in by_uid.items():
        try:
            found[uid] = _expand(components, timezones, start, end)
        except Exception as exc:  # refuse this event only
            problems.append(IcsProblem(SourceReason.BAD_VALUE, uid, f"event {uid}: {type(exc).__name__}: {exc}"))
    return found


def ics_events(raw: bytes, site: Site, start: datetime, end: datetime, rules: list[EventRule],
               default_visitors: float) -> tuple[list[dict[str, Any]], list[IcsProblem]]:
    """Event records (for the Event model) of the instances in [start, end), and refused events."""
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except ValueError as exc:
        raise SourceError(SourceReason.BAD_FORMAT, None, f"not a valid iCalendar file: {exc}") from None
    timezones, by_uid = _grouped(calendar)
    problems: list[IcsProblem] = []
    good: dict[str, list[Any]] = {}
    for uid, components in by_uid.items():
        try:
            _check(uid, components, site)
            good[uid] = components
        except SourceError as exc:
            problems.append(IcsProblem(exc.reason, exc.field or uid, f"event {uid}: {exc.detail}"))
    records: list[dict[str, Any]] = []
    for uid, occurrences in _occurrences(good, timezones, start, end, problems).items():
        try:
            mine = []
            for occurrence in occurrences:
                begins = _aware(occurrence.decoded("DTSTART"), site)
                ends = _end_of(occurrence, begins, site)
                zones, visitors = _mapping(occurrence, site, rules, default_visitors, uid)
                repeated = len(good[uid]) > 1 or occurrence.get("RRULE") or occurrence.get("RDATE")
                mine.append({"id": f"{uid}@{begins.isoformat()}" if repeated else uid,
                             "name": str(occurrence.get("SUMMARY", uid)), "zones": zones,
                             "start": begins, "end": ends, "expected_visitors": visitors})
            records += mine
        except SourceError as exc:
            problems.append(IcsProblem(exc.reason, exc.field or uid, f"event {uid}: {exc.detail}"))
    return records, problems
