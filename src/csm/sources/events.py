"""Events calendar of a site (YAML or ICS in the site folder, or over HTTP): location (zones),
expected visitors, start and end. Also the calendar covariates the forecaster calls.

→ sensor "event:<zone>" metric expected_visitors per hour overlapping an event (sum of events).
YAML: `events: [{id, name, zones, start, end, expected_visitors}]` (naive times = site local).
ICS: VEVENTs expanded with recurring-ical-events (RRULE, RDATE, EXDATE, RECURRENCE-ID) within the
window; zones and expected visitors from X-CSM-ZONES / X-CSM-EXPECTED-VISITORS when a calendar has
them, else from the configured `rules` (location text, categories, keywords), else LOCATION
naming a zone, else the whole site "*". A broken event is refused alone (`IcsProblem`).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources.holidays_nl import holiday_names
from csm.sources.holidays_nl import region_of as holiday_region_of
from csm.sources.holidays_nl import settings_of as holiday_settings_of
from csm.sources.ics import SITE_WIDE, EventRule, ics_events
from csm.sources.parsing import SourceReason, floor_to
from csm.sources.protocol import BaseSource, FetchError, SourceError, SourceSettings, fetch_url

log = logging.getLogger(__name__)

HOUR = 3600


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    name: str
    zones: list[str] = Field(default_factory=lambda: [SITE_WIDE])
    start: datetime
    end: datetime
    expected_visitors: float = Field(ge=0, le=5_000_000)

    @model_validator(mode="after")
    def _ordered(self) -> Event:
        if self.end < self.start:  # equal is a zero-length event (RFC 5545 3.6.1)
            raise ValueError(f"end ({self.end}) must not be before start ({self.start})")
        return self


class EventsSettings(SourceSettings):
    url: str | None = Field(None, description="file:feeds/events.yaml, an .ics file or an http(s) URL")
    days_back: int = Field(1, ge=0, le=366)
    days_ahead: int = Field(60, ge=1, le=730)
    poll_seconds: float = Field(3600.0, gt=0)
    rules: list[EventRule] = Field(
        default_factory=list, description="iCalendar: first matching rule gives zones and expected visitors"
    )
    default_expected_visitors: float = Field(0, ge=0, le=5_000_000, description="iCalendar events no rule matches")

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        return now - timedelta(days=self.days_back), now + timedelta(days=self.days_ahead)


def parse_events(raw: bytes, site: Site, settings: EventsSettings | None = None,
                 window: tuple[datetime, datetime] | None = None) -> list[Event]:
    """YAML or ICS → events with aware times; every problem names the event and field.

    iCalendar recurrences are expanded within `window` (default: a year back, two ahead). A bad
    VEVENT is refused alone: the good events come back in `SourceError.partial_events`.
    """
    settings = settings or EventsSettings()
    records: Any
    if raw.lstrip().startswith(b"BEGIN:VCALENDAR"):
        now = datetime.now(UTC)
        start, end = window or (now - timedelta(days=366), now + timedelta(days=730))
        records, problems = ics_events(raw, site, start, end, settings.rules, settings.default_expected_visitors)
        events = [Event.model_validate(r) for r in records]
        if problems:
            first = problems[0]
            refused = SourceError(first.reason, first.field,
                                  f"{len(problems)} event(s) refused, {len(events)} kept; first: {first.detail}")
            refused.partial_events = events  # type: ignore[attr-defined]
            raise refused
        return events
    else:
        try:
            document = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise SourceError(SourceReason.BAD_FORMAT, None, f"not valid YAML: {exc}") from None
        records = document.get("events") if isinstance(document, dict) else document
        if not isinstance(records, list):
            raise SourceError(SourceReason.MISSING_FIELD, "events", "expected a list under `events:`")
    events = []
    for i, record in enumerate(records):
        try:
            event = Event.model_validate(record)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"])
            reason = SourceReason.MISSING_FIELD if error["type"] == "missing" else SourceReason.BAD_VALUE
            path = f"events[{i}].{field}" if field else f"events[{i}]"  # model checks have no field
            raise SourceError(reason, path, f"event {i}: {field or 'event'}: {error['msg']}") from None
        if event.start.tzinfo is None or event.end.tzinfo is None:
            event = event.model_copy(update={
                "start": event.start if event.start.tzinfo else event.start.replace(tzinfo=site.tz),
                "end": event.end if event.end.tzinfo else event.end.replace(tzinfo=site.tz),
            })
        unknown = [z for z in event.zones if z != SITE_WIDE and z not in site.zones]
        if unknown:
            raise SourceError(SourceReason.UNKNOWN_REFERENCE, f"events[{i}].zones",
                              f"event {event.id}: unknown zone {unknown[0]!r}")
        events.append(event)
    return events


def hourly_visitors(events: list[Event], start: datetime, end: datetime) -> dict[tuple[str, datetime], float]:
    """(zone, hour start) → expected visitors of the events overlapping that hour."""
    totals: dict[tuple[str, datetime], float] = {}
    for event in events:
        hour = max(floor_to(event.start, HOUR), floor_to(start, HOUR))
        # a zero-length event (RFC 5545: DTSTART only) still happens in the hour of its start
        stop = max(event.end, event.start + timedelta(seconds=1))
        while hour < min(stop, end):
            for zone in event.zones:
                totals[(zone, hour)] = totals.get((zone, hour), 0.0) + event.expected_visitors
            hour += timedelta(hours=1)
    return totals


class EventsSource(BaseSource):
    kind = "events"
    settings_model = EventsSettings
    data_time = "future"

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        start, end = settings.window(now)
        try:
            events = parse_events(raw, site, settings, (start, end))
        except SourceError as exc:
            kept = getattr(exc, "partial_events", None)
            if kept is None:
                raise
            raise SourceError(exc.reason, exc.field, exc.detail,
                              partial=_observations(kept, site, start, end)) from None
        observations = _observations(events, site, start, end)
        if not observations:
            raise SourceError(SourceReason.EMPTY, "events",
                              f"no event between {start:%Y-%m-%d} and {end:%Y-%m-%d} in the calendar")
        return observations

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        try:
            events = parse_events(raw, site, settings)
        except SourceError as exc:
            events = getattr(exc, "partial_events", [])
        return {"events": [e.model_dump(mode="json") for e in events]}

    def check(self, settings: Any, site: Site) -> list[tuple[str, str]]:
        return [(f"rules[{i}].zones[{j}]", f"unknown zone {zone!r}")
                for i, rule in enumerate(settings.rules) for j, zone in enumerate(rule.zones)
                if zone != SITE_WIDE and zone not in site.zones]


def _observations(events: list[Event], site: Site, start: datetime, end: datetime) -> list[Observation]:
    return [
        Observation(site.id, f"event:{zone}", "expected_visitors", hour, HOUR, visitors)
        for (zone, hour), visitors in sorted(hourly_visitors(events, start, end).items())
    ]


def site_events(site: Site, client: httpx.Client | None = None,
                window: tuple[datetime, datetime] | None = None) -> list[Event]:
    """Every event of the site's events sources within `window` (iCalendar recurrences expanded);
    unreadable sources are logged and skipped, broken single events are left out."""
    events: list[Event] = []
    for name, raw in site.config.sources.items():
        if not isinstance(raw, dict) or raw.get("kind", name) != EventsSource.kind or not raw.get("url"):
            continue
        try:
            settings = EventsSettings.model_validate(raw)
            with httpx.Client() if client is None else _borrowed(client) as http:
                events += parse_events(fetch_url(str(raw["url"]), site.folder, http, 10.0), site, settings, window)
        except SourceError as exc:
            events += getattr(exc, "partial_events", [])
            log.warning("events source %s: %s", name, exc)
        except (FetchError, ValidationError) as exc:
            log.warning("events source %s unreadable: %s", name, exc)
    return events


class _borrowed:
    """Use a caller's client without closing it."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def __enter__(self) -> httpx.Client:
        return self.client

    def __exit__(self, *exc: object) -> None:
        return None


def calendar_covariates(site: Site, start: datetime, end: datetime, freq: str = "1h") -> pd.DataFrame:
    """Long-format calendar covariates for the forecaster: columns timestamp, zone, name, value.

    Per step in [start, end): zone "*" public_holiday and school_holiday (1/0, on the local date);
    per zone with an event overlapping the step, event_expected_visitors (sum of events).
    Naive start/end are site local time and give naive local timestamps, like `csm forecast`.
    """
    naive = start.tzinfo is None
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if naive:
        first, last = first.tz_localize(site.tz), last.tz_localize(site.tz)
    stamps = pd.date_range(first, last, freq=freq, inclusive="left")
    step = pd.tseries.frequencies.to_offset(freq)
    holiday_cfg = holiday_settings_of(site)
    country = holiday_region_of(holiday_cfg, site)
    rows: list[tuple[pd.Timestamp, str, str, float]] = []
    flags: dict[date, tuple[float, float]] = {}
    for stamp in stamps:
        day = stamp.tz_convert(site.tz).date()
        if day not in flags:
            public, school = holiday_names(country, holiday_cfg.school_region, day)
            flags[day] = (1.0 if public else 0.0, 1.0 if school else 0.0)
        rows.append((stamp, SITE_WIDE, "public_holiday", flags[day][0]))
        rows.append((stamp, SITE_WIDE, "school_holiday", flags[day][1]))
    window = (first.to_pydatetime(), last.to_pydatetime())
    for event in site_events(site, window=window):
        for stamp in stamps:
            if stamp < event.end and stamp + step > event.start:
                for zone in event.zones:
                    rows.append((stamp, zone, "event_expected_visitors", event.expected_visitors))
    frame = pd.DataFrame(rows, columns=["timestamp", "zone", "name", "value"])
    frame = frame.groupby(["timestamp", "zone", "name"], as_index=False, sort=True)["value"].sum()
    if naive:
        frame["timestamp"] = frame["timestamp"].dt.tz_convert(site.tz).dt.tz_localize(None)
    return frame
