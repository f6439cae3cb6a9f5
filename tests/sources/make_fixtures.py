"""Write the source fixtures (tests/sources/fixtures) and the demo replay feeds
(sites/scheveningen/feeds) for Saturday 2026-07-18 around noon in Scheveningen.

Run: .venv/bin/python -m tests.sources.make_fixtures. Content follows the published formats
(GTFS, GTFS-Realtime, SPDP v2, DATEX II v3, Buienradar JSON); garages, measurement-site ids
and capacities are illustrative, positions are real.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.transit import gtfs_realtime_pb2

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
DEMO_FEEDS = HERE.parent.parent / "sites" / "scheveningen" / "feeds"
NOON_UTC = datetime(2026, 7, 18, 10, 0, tzinfo=UTC)  # 12:00 CEST
LOCAL = timedelta(hours=2)

# -- GTFS static: HTM tram lines 1, 9, 11 -------------------------------------------------------
STOPS = [  # stop_id, name, lat, lon
    ("2232101", "Kurhaus", 52.11199, 4.27972),
    ("2232102", "Scheveningseslag", 52.11620, 4.28400),
    ("2232201", "Scheveningen Haven", 52.10159, 4.26453),
    ("2232202", "Badhuisstraat", 52.10480, 4.27020),
    ("2200001", "Den Haag Centraal", 52.08065, 4.32460),
]
LINES = {  # route_id: (short name, long name, headway min, [(stop_id, minutes from start)])
    "HTM:1": ("1", "Delft - Scheveningen Noord", 10, [("2200001", 0), ("2232101", 18), ("2232102", 21)]),
    "HTM:9": ("9", "Vrederust - Scheveningen Noord", 10, [("2200001", 0), ("2232101", 16), ("2232102", 19)]),
    "HTM:11": ("11", "Rijswijkseplein - Scheveningen Haven", 12,
               [("2200001", 0), ("2232202", 14), ("2232201", 17)]),
}


def write_gtfs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agency.txt").write_text(
        "agency_id,agency_name,agency_url,agency_timezone\nHTM,HTM,https://www.htm.nl,Europe/Amsterdam\n")
    (folder / "stops.txt").write_text("stop_id,stop_name,stop_lat,stop_lon\n" + "".join(
        f"{sid},{name},{lat},{lon}\n" for sid, name, lat, lon in STOPS))
    (folder / "routes.txt").write_text("route_id,agency_id,route_short_name,route_long_name,route_type\n" + "".join(
        f"{rid},HTM,{short},{long_name},0\n" for rid, (short, long_name, _, _) in LINES.items()))
    (folder / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "WD,1,1,1,1,1,0,0,20260101,20261231\nZA,0,0,0,0,0,1,0,20260101,20261231\n"
        "ZO,0,0,0,0,0,0,1,20260101,20261231\n")
    (folder / "calendar_dates.txt").write_text("service_id,date,exception_type\nZA,20260425,2\n")
    trips = ["route_id,service_id,trip_id,trip_headsign\n"]
    times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"]
    for rid, (_short, long_name, headway, pattern) in LINES.items():
        for service, first, last in (("ZA", 6 * 60, 24 * 60 + 30), ("WD", 5 * 60 + 30, 24 * 60)):
            for n, start in enumerate(range(first, last, headway)):
                trip_id = f"{rid}:{service}:{n}"
                trips.append(f"{rid},{service},{trip_id},{long_name.split(' - ')[1]}\n")
                for seq, (stop_id, offset) in enumerate(pattern, 1):
                    minute = start + offset
                    hms = f"{minute // 60:02d}:{minute % 60:02d}:00"
                    times.append(f"{trip_id},{hms},{hms},{stop_id},{seq}\n")
    (folder / "trips.txt").write_text("".join(trips))
    (folder / "stop_times.txt").write_text("".join(times))


def trip_updates() -> bytes:
    """Realtime predictions at noon: the next hour of Saturday trams at the beach stops."""
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    feed.header.timestamp = int(NOON_UTC.timestamp())
    day_start_local = datetime(2026, 7, 18, tzinfo=UTC) - LOCAL  # local midnight in UTC
    for rid, (_short, _long, headway, pattern) in LINES.items():
        for n, start in enumerate(range(6 * 60, 24 * 60 + 30, headway)):
            for stop_id, offset in pattern[1:]:
                scheduled = day_start_local + timedelta(minutes=start + offset)
                if not NOON_UTC <= scheduled < NOON_UTC + timedelta(minutes=60):
                    continue
                delay = 60 * ((n * 7) % 5)  # 0..4 minutes late: a busy beach Saturday
                entity = feed.entity.add()
                entity.id = f"{rid}:ZA:{n}:{stop_id}"
                entity.trip_update.trip.trip_id = f"{rid}:ZA:{n}"
                entity.trip_update.trip.route_id = rid
                update = entity.trip_update.stop_time_update.add()
                update.stop_id = stop_id
                update.arrival.delay = delay
                update.arrival.time = int((scheduled + timedelta(seconds=delay)).timestamp())
    return feed.SerializeToString()


def vehicle_positions() -> bytes:
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.timestamp = int(NOON_UTC.timestamp())
    for vid, stop_id, status, lat, lon in (
        ("HTM-3041", "2232101", gtfs_realtime_pb2.VehiclePosition.STOPPED_AT, 52.11199, 4.27972),
        ("HTM-3127", "2232101", gtfs_realtime_pb2.VehiclePosition.INCOMING_AT, 52.1098, 4.2835),
        ("HTM-5012", "2232201", gtfs_realtime_pb2.VehiclePosition.INCOMING_AT, 52.1008, 4.2690),
        ("HTM-5020", "2200001", gtfs_realtime_pb2.VehiclePosition.STOPPED_AT, 52.08065, 4.3246),
    ):
        entity = feed.entity.add()
        entity.id = vid
        entity.vehicle.vehicle.id = vid
        entity.vehicle.stop_id = stop_id
        entity.vehicle.current_status = status
        entity.vehicle.position.latitude = lat
        entity.vehicle.position.longitude = lon
        entity.vehicle.timestamp = int(NOON_UTC.timestamp()) - 20
    return feed.SerializeToString()


# -- SPDP v2 parking ---------------------------------------------------------------------------
GARAGES = [  # id, identifier, name, lat, lon, capacity, vacant, operator
    ("kurhaus", "0d4b6a2e-6c1f-4b8e-9a57-1f0b8b2f7a11", "Parkeergarage Kurhaus", 52.11110, 4.27720, 750, 38, "Q-Park"),
    ("palace-promenade", "5c2e9f40-8d0a-4f5b-b2a3-6e7d1c9f0b22", "Parkeergarage Scheveningen Bad (Palace Promenade)",
     52.10930, 4.27590, 1000, 212, "Interparking"),
    ("haven", "a7f3c1d8-2b4e-4c6a-8f19-3d5e7b9a1c33", "Parkeergarage Scheveningen Haven", 52.10090, 4.26220, 320,
     141, "Gemeente Den Haag"),
]


def write_parking(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    updated = int((NOON_UTC - timedelta(minutes=2)).timestamp())
    for gid, identifier, name, lat, lon, capacity, vacant, operator in GARAGES:
        static = {"parkingFacilityInformation": {
            "identifier": identifier, "name": name, "description": name,
            "operator": {"name": operator, "url": "https://www.denhaag.nl"},
            "locationForDisplay": {"latitude": lat, "longitude": lon, "coordinatesType": "WGS84"},
            "specifications": [{"capacity": capacity, "chargingPointCapacity": 12, "disabledAccess": True,
                                "minimumHeightInMeters": 1.9, "usage": "Garage parkeren"}],
            "accessPoints": [{"isVehicleEntrance": True, "isVehicleExit": True, "accessPointLocation": [
                {"latitude": lat, "longitude": lon}]}],
        }}
        dynamic = {"parkingFacilityDynamicInformation": {
            "identifier": identifier, "name": name, "description": name,
            "facilityActualStatus": {"open": True, "full": vacant == 0, "parkingCapacity": capacity,
                                     "vacantSpaces": vacant, "lastUpdated": updated},
        }}
        (folder / f"{gid}-static.json").write_text(json.dumps(static, indent=1, ensure_ascii=False))
        (folder / f"{gid}-dynamic.json").write_text(json.dumps(dynamic, indent=1, ensure_ascii=False))


# -- NDW DATEX II v3 measured data -------------------------------------------------------------
NDW_SITES = [  # id, lanes: (flow veh/h, speed km/h)
    ("GDH01_SCHEVENINGSEWEG_IN", [(540, 41), (480, 38)]),
    ("GDH01_ZWOLSESTRAAT_IN", [(420, 33)]),
    ("GDH01_KENNEDYLAAN_IN", [(360, 44), (300, 46)]),
    ("GDH01_DUINSTRAAT_IN", [(180, 27)]),
]


def ndw_xml() -> str:
    minute = (NOON_UTC - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = []
    for site_id, lanes in NDW_SITES:
        quantities, index = [], 1
        for flow, speed in lanes:
            single = '<roa:physicalQuantity xsi:type="roa:SinglePhysicalQuantity">'
            quantities.append(
                f'<roa:physicalQuantity index="{index}">{single}'
                f'<roa:basicData xsi:type="roa:TrafficFlow"><roa:vehicleFlow numberOfInputValuesUsed="60">'
                f"<com:vehicleFlowRate>{flow}</com:vehicleFlowRate></roa:vehicleFlow></roa:basicData>"
                f"</roa:physicalQuantity></roa:physicalQuantity>")
            quantities.append(
                f'<roa:physicalQuantity index="{index + 1}">{single}'
                f'<roa:basicData xsi:type="roa:TrafficSpeed"><roa:averageVehicleSpeed numberOfInputValuesUsed="9">'
                f"<com:speed>{speed}</com:speed></roa:averageVehicleSpeed></roa:basicData>"
                f"</roa:physicalQuantity></roa:physicalQuantity>")
            index += 2
        parts.append(
            "  <roa:siteMeasurements>\n"
            f'   <roa:measurementSiteReference targetClass="roa:MeasurementSite" id="{site_id}" version="3"/>\n'
            f"   <roa:measurementTimeDefault>{minute}</roa:measurementTimeDefault>\n   "
            + "\n   ".join(quantities) + "\n  </roa:siteMeasurements>\n")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mc:messageContainer xmlns:mc="http://datex2.eu/schema/3/messageContainer"'
        ' xmlns:com="http://datex2.eu/schema/3/common" xmlns:roa="http://datex2.eu/schema/3/roadTrafficData"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" modelBaseVersion="3">\n'
        ' <mc:payload xsi:type="roa:MeasuredDataPublication" lang="nl" modelBaseVersion="3">\n'
        f"  <com:publicationTime>{NOON_UTC.strftime('%Y-%m-%dT%H:%M:%SZ')}</com:publicationTime>\n"
        "  <com:publicationCreator><com:country>NL</com:country>"
        "<com:nationalIdentifier>NLNDW</com:nationalIdentifier></com:publicationCreator>\n"
        + "".join(parts) + " </mc:payload>\n</mc:messageContainer>\n")


# -- Buienradar --------------------------------------------------------------------------------
def buienradar() -> dict[str, object]:
    def station(sid: int, name: str, lat: float, lon: float, temp: float, sun: int, wind: float) -> dict[str, object]:
        return {"stationid": sid, "stationname": f"Meetstation {name}", "lat": lat, "lon": lon, "regio": name,
                "timestamp": "2026-07-18T11:50:00", "weatherdescription": "Vrijwel onbewolkt (zonnig/helder)",
                "iconurl": "https://www.buienradar.nl/resources/images/icons/weather/30x30/a.png",
                "winddirection": "ZW", "airpressure": 1019.4, "temperature": temp, "groundtemperature": temp + 4.1,
                "feeltemperature": temp + 0.6, "visibility": 35200, "windgusts": wind + 2.9, "windspeed": wind,
                "windspeedBft": 3, "humidity": 48, "precipitation": 0.0, "sunpower": sun,
                "rainFallLast24Hour": 0.0, "rainFallLastHour": 0.0, "winddirectiondegrees": 225}

    return {
        "$id": "1",
        "buienradar": {"copyright": "(C)opyright Buienradar / RTL. Alle rechten voorbehouden",
                       "terms": "Deze feed mag vrij worden gebruikt onder voorwaarde van bronvermelding "
                                "buienradar.nl inclusief een hyperlink naar https://www.buienradar.nl."},
        "actual": {"actualradarurl": "https://api.buienradar.nl/image/1.0/RadarMapNL?w=500&h=512",
                   "sunrise": "2026-07-18T05:40:00", "sunset": "2026-07-18T21:55:00",
                   "stationmeasurements": [
                       station(6330, "Hoek van Holland", 51.99, 4.12, 27.8, 812, 4.2),
                       station(6215, "Voorschoten", 52.12, 4.43, 30.4, 845, 3.1),
                       station(6344, "Rotterdam", 51.95, 4.45, 31.2, 830, 2.6)]},
        "forecast": {"weatherreport": {"published": "2026-07-18T06:10:00", "title": "Zonnig en heet",
                                       "summary": "Een zonnige en hete zaterdag, aan zee iets koeler."},
                     "fivedayforecast": [
                         {"day": f"2026-07-{19 + i}T00:00:00", "mintemperature": str(mn), "maxtemperature": str(mx),
                          "mintemperatureMax": mn + 1, "mintemperatureMin": mn, "maxtemperatureMax": mx,
                          "maxtemperatureMin": mx - 2, "rainChance": rain, "sunChance": sun, "windDirection": "zw",
                          "wind": 3, "mmRainMin": 0.0, "mmRainMax": mm, "weatherdescription": "Zonnig",
                          "iconurl": "https://www.buienradar.nl/resources/images/icons/weather/30x30/a.png"}
                         for i, (mn, mx, rain, sun, mm) in enumerate(
                             [(19, 29, 10, 80, 0.0), (18, 26, 30, 60, 1.0), (16, 22, 70, 30, 6.0),
                              (15, 21, 50, 40, 3.0), (16, 23, 20, 70, 0.0)])]},
    }


def buienradar_hourly() -> dict[str, object]:
    days = []
    for d in range(2):
        hours = []
        for h in range(24):
            warm = max(0.0, 1 - abs(h - 15) / 9)
            hours.append({"hour": h, "datetime": f"2026-07-{18 + d}T{h:02d}:00:00", "temperature": round(
                18 + 11 * warm - 2 * d, 1), "feeltemperature": round(18 + 12 * warm - 2 * d, 1),
                "precipitationmm": 0.0 if d == 0 or h < 18 else 0.4, "precipitation": 5 if d == 0 else 30,
                "sunshine": round(90 * warm) if 6 <= h <= 21 else 0, "windspeedms": 3.6, "beaufort": 3,
                "winddirection": "ZW", "humidity": 55, "cloudcover": 10})
        days.append({"date": f"2026-07-{18 + d}T00:00:00", "sunrise": f"2026-07-{18 + d}T05:40:00",
                     "sunset": f"2026-07-{18 + d}T21:55:00", "hours": hours})
    return {"location": {"name": "Scheveningen", "id": 2747373, "lat": 52.1, "lon": 4.27}, "days": days}


# -- visitor estimates (Resono-style) and events ----------------------------------------------------
VISITOR_AREAS = {"resono-strand-zuid": 1480, "resono-strand-kurhaus": 4350, "resono-haven": 610}


def visitors_json() -> dict[str, object]:
    counts = []
    for area, level in VISITOR_AREAS.items():
        for k in range(4):  # the last hour, per 15 minutes
            start = NOON_UTC + LOCAL - timedelta(minutes=60 - 15 * k)
            counts.append({"location": area, "timestamp": start.strftime("%Y-%m-%dT%H:%M:00+02:00"),
                           "count": level + 60 * k})
    return {"generated": "2026-07-18T12:00:00+02:00", "intervalMinutes": 15, "counts": counts}


def visitors_csv() -> str:
    rows = ["location,timestamp,count"]
    for item in visitors_json()["counts"]:  # type: ignore[union-attr]
        rows.append(f"{item['location']},{item['timestamp']},{item['count']}")  # type: ignore[index]
    return "\n".join(rows) + "\n"


EVENTS_YAML = """\
# Events at Scheveningen that draw extra visitors. Times are local (Europe/Amsterdam).
events:
  - id: zomerconcert-kurhaus
    name: Zomerconcert op het strand bij het Kurhaus
    zones: [strand-kurhaus, gevers-deynootplein]
    start: "2026-07-18T19:00:00"
    end: "2026-07-18T23:00:00"
    expected_visitors: 8000
  - id: vuurwerkfestival-1
    name: Internationaal Vuurwerkfestival Scheveningen (avond 1)
    zones: [boulevard-kurhaus, boulevard-pier, strand-kurhaus, strand-noord]
    start: "2026-08-21T21:30:00"
    end: "2026-08-21T23:30:00"
    expected_visitors: 50000
  - id: haven-vlaggetjesdag
    name: Vlaggetjesdag
    zones: [haven, boulevard-haven]
    start: "2026-06-13T10:00:00"
    end: "2026-06-13T18:00:00"
    expected_visitors: 40000
"""

EVENTS_ICS = """\
BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Gemeente Den Haag//Evenementen Scheveningen//NL\r
BEGIN:VEVENT\r
UID:zomerconcert-kurhaus@scheveningen.example\r
DTSTAMP:20260601T080000Z\r
DTSTART;TZID=Europe/Amsterdam:20260718T190000\r
DTEND;TZID=Europe/Amsterdam:20260718T230000\r
SUMMARY:Zomerconcert op het strand bij het Kurhaus\r
LOCATION:strand-kurhaus\r
X-CSM-ZONES:strand-kurhaus,gevers-deynootplein\r
X-CSM-EXPECTED-VISITORS:8000\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:beachvolleybal@scheveningen.example\r
DTSTAMP:20260601T080000Z\r
DTSTART:20260718T120000Z\r
DTEND:20260718T160000Z\r
SUMMARY:Beachvolleybaltoernooi\r
LOCATION:Strand Noord\r
X-CSM-EXPECTED-VISITORS:1500\r
END:VEVENT\r
END:VCALENDAR\r
"""


def service_alerts() -> bytes:
    """GTFS-Realtime Alerts: tram 11 detours around Scheveningen Haven on the demo day (works on
    the quay), as HTM would announce it; a second alert for a line elsewhere in The Hague."""
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.timestamp = int(NOON_UTC.timestamp())
    day_start = int((NOON_UTC - timedelta(hours=4)).timestamp())
    alert = feed.entity.add(id="HTM-2026-0718-11").alert
    period = alert.active_period.add()
    period.start, period.end = day_start, day_start + 14 * 3600
    alert.informed_entity.add(route_id="HTM:11")
    alert.informed_entity.add(stop_id="2232201")
    alert.cause, alert.effect = gtfs_realtime_pb2.Alert.CONSTRUCTION, gtfs_realtime_pb2.Alert.DETOUR
    alert.header_text.translation.add(text="Tram 11 rijdt niet naar Scheveningen Haven", language="nl")
    alert.description_text.translation.add(
        text="Door werkzaamheden aan de kade eindigt tram 11 vandaag bij halte Badhuisstraat.", language="nl")
    other = feed.entity.add(id="HTM-2026-0718-2").alert
    other.informed_entity.add(route_id="HTM:2")
    other.cause, other.effect = gtfs_realtime_pb2.Alert.TECHNICAL_PROBLEM, gtfs_realtime_pb2.Alert.REDUCED_SERVICE
    other.header_text.translation.add(text="Tram 2 rijdt minder vaak", language="nl")
    return feed.SerializeToString()


def write_all(folder: Path) -> None:
    write_gtfs(folder / "gtfs")
    (folder / "tripupdates.pb").write_bytes(trip_updates())
    (folder / "vehiclepositions.pb").write_bytes(vehicle_positions())
    (folder / "alerts.pb").write_bytes(service_alerts())
    write_parking(folder / "parking")
    (folder / "ndw_measurements.xml").write_text(ndw_xml())
    (folder / "buienradar.json").write_text(json.dumps(buienradar(), indent=1, ensure_ascii=False))
    (folder / "buienradar_forecast.json").write_text(json.dumps(buienradar_hourly(), indent=1))
    (folder / "visitors.json").write_text(json.dumps(visitors_json(), indent=1))
    (folder / "visitors.csv").write_text(visitors_csv())
    (folder / "events.yaml").write_text(EVENTS_YAML)
    (folder / "events.ics").write_bytes(EVENTS_ICS.encode())


if __name__ == "__main__":
    write_all(FIXTURES)
    if DEMO_FEEDS.parent.is_dir():
        shutil.rmtree(DEMO_FEEDS, ignore_errors=True)
        write_all(DEMO_FEEDS)
        for name in ("visitors.json", "visitors.csv"):  # visitors: demonstrated in tests only
            (DEMO_FEEDS / name).unlink()
