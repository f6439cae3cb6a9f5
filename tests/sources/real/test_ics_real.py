"""Real calendars shipped in the recurring-ical-events wheel (installed through the lock; see
PROVENANCE.md), read with the events source; counts and times checked by hand in each file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from csm.site.loader import load_site
from csm.site.model import Site
from csm.sources.events import EventsSettings, EventsSource, parse_events
from csm.sources.ics import EventRule
from csm.sources.protocol import SourceError
from tests.sources.real.conftest import package_sample, write_point_site


def calendar(name: str) -> bytes:
    return package_sample("recurring_ical_events", "test", "calendars", name).read_bytes()


@pytest.fixture(scope="module")
def cottbus(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return load_site(write_point_site(tmp_path_factory.mktemp("cottbus"), "cottbus", 51.7563, 14.3329))


def window(start: str, end: str) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(start).replace(tzinfo=UTC), datetime.fromisoformat(end).replace(tzinfo=UTC)


def test_monthly_repair_cafe_expands_to_one_instance_per_first_saturday(cottbus: Site) -> None:
    # fablab_cottbus.ics: RRULE:FREQ=MONTHLY;BYDAY=1SA from 2018-01-06 14:00-17:00 Europe/Berlin
    events = parse_events(calendar("fablab_cottbus.ics"), cottbus, window=window("2019-01-01", "2019-03-01"))
    cafe = sorted(e.start for e in events if e.name == "Repair Café")
    assert cafe == [datetime(2019, 1, 5, 13, tzinfo=UTC), datetime(2019, 2, 2, 13, tzinfo=UTC)]


def test_weekly_event_with_one_exdate(cottbus: Site) -> None:
    # each_week_but_one_deleted.ics: RRULE:FREQ=WEEKLY;COUNT=8, EXDATE:20190310T233000Z
    events = parse_events(calendar("each_week_but_one_deleted.ics"), cottbus, window=window("2019-01-01", "2020-01-01"))
    assert len(events) == 7
    assert datetime(2019, 3, 10, 23, 30, tzinfo=UTC) not in {e.start for e in events}


def test_rdates_of_a_podcast_calendar(cottbus: Site) -> None:
    # rdate_hackerpublicradio.ics: 12 RDATEs (DTSTART is one of them), 7 of them in 2014
    events = parse_events(calendar("rdate_hackerpublicradio.ics"), cottbus, window=window("2014-01-01", "2015-01-01"))
    assert len(events) == 7
    assert all(e.end - e.start == (datetime(2013, 8, 3, 21) - datetime(2013, 8, 3, 19)) for e in events)


def test_zero_length_event_is_kept_and_counts_in_its_hour(cottbus: Site) -> None:
    # zero_size_event.ics: DTSTART;TZID=Europe/Berlin:20190304T080000, no DTEND nor DURATION
    raw = calendar("zero_size_event.ics")
    (event,) = parse_events(raw, cottbus, window=window("2019-03-01", "2019-03-10"))
    assert event.start == event.end == datetime(2019, 3, 4, 7, tzinfo=UTC)
    settings = EventsSettings(default_expected_visitors=50, days_back=10, days_ahead=10)
    observations = EventsSource().parse(raw, settings, cottbus, datetime(2019, 3, 4, tzinfo=UTC))
    assert [(o.interval_start, o.value) for o in observations] == [(datetime(2019, 3, 4, 7, tzinfo=UTC), 50)]


def test_date_only_event_lasts_the_local_day(cottbus: Site) -> None:
    # one_day_event.ics: DTSTART;VALUE=DATE:20190304, DTEND;VALUE=DATE:20190305
    (event,) = parse_events(calendar("one_day_event.ics"), cottbus, window=window("2019-03-01", "2019-03-10"))
    assert (event.start, event.end) == (datetime(2019, 3, 3, 23, tzinfo=UTC), datetime(2019, 3, 4, 23, tzinfo=UTC))


def test_rules_map_a_real_calendar_to_zones_and_visitors(cottbus: Site) -> None:
    settings = EventsSettings(days_back=0, days_ahead=31, rules=[
        EventRule(location=["fablab cottbus"], keywords=["repair"], zones=["zone"], expected_visitors=40)])
    observations = EventsSource().parse(calendar("fablab_cottbus.ics"), settings, cottbus,
                                        datetime(2019, 3, 1, tzinfo=UTC))
    by_hour = {o.interval_start: (o.sensor_id, o.value) for o in observations}
    # 2019-03-02 14:00-17:00 Berlin = 13:00-16:00 UTC: three hours of 40 expected visitors in the zone
    assert [by_hour.get(datetime(2019, 3, 2, h, tzinfo=UTC)) for h in (12, 13, 14, 15, 16)] == [
        None, ("event:zone", 40), ("event:zone", 40), ("event:zone", 40), None]


def test_one_bad_event_is_refused_alone(cottbus: Site) -> None:
    raw = calendar("fablab_cottbus.ics").replace(
        b"END:VCALENDAR", b"BEGIN:VEVENT\r\nUID:broken@test\r\nSUMMARY:Broken\r\n"
        b"DTSTART:20190302T120000Z\r\nDTEND:20190302T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR")
    settings = EventsSettings(days_back=0, days_ahead=31, default_expected_visitors=10)
    with pytest.raises(SourceError) as caught:
        EventsSource().parse(raw, settings, cottbus, datetime(2019, 3, 1, tzinfo=UTC))
    assert caught.value.field == "broken@test.DTEND" and "1 event(s) refused" in caught.value.detail
    assert {o.interval_start for o in caught.value.partial} >= {datetime(2019, 3, 2, 13, tzinfo=UTC)}


def test_sample_files_are_the_packaged_ones() -> None:
    assert Path(str(package_sample("recurring_ical_events", "test", "calendars", "fablab_cottbus.ics"))).is_file()
