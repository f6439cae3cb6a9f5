"""DATEX II edge cases the real samples do not cover: v3 site tables, v3 data errors, the
streaming guard, the site table wired through the connector."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from csm.site.model import Site
from csm.sources import datex2
from csm.sources.protocol import SourceError
from csm.sources.traffic_ndw import NdwSettings, NdwTrafficSource
from tests.sources.test_connectors import NOON, fixture

V3_TABLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<mc:messageContainer xmlns:mc="http://datex2.eu/schema/3/messageContainer"
 xmlns:com="http://datex2.eu/schema/3/common" xmlns:roa="http://datex2.eu/schema/3/roadTrafficData"
 xmlns:loc="http://datex2.eu/schema/3/locationReferencing" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <mc:payload xsi:type="roa:MeasurementSiteTablePublication" lang="nl">
  <roa:measurementSiteTable id="NDW01_MT" version="1">
   <roa:measurementSite id="GDH01_SCHEVENINGSEWEG_IN" version="3">
    <roa:measurementSiteName><com:values><com:value lang="nl">Scheveningseweg in</com:value></com:values>
    </roa:measurementSiteName>
    <roa:measurementSiteNumberOfLanes>2</roa:measurementSiteNumberOfLanes>
    <roa:measurementSpecificCharacteristics index="1"><roa:measurementSpecificCharacteristics>
     <roa:specificLane>lane1</roa:specificLane>
     <roa:specificVehicleCharacteristics><com:vehicleType>anyVehicle</com:vehicleType></roa:specificVehicleCharacteristics>
    </roa:measurementSpecificCharacteristics></roa:measurementSpecificCharacteristics>
    <roa:measurementSiteLocation xsi:type="loc:PointLocation"><loc:pointByCoordinates><loc:pointCoordinates>
     <loc:latitude>52.1021</loc:latitude><loc:longitude>4.2831</loc:longitude>
    </loc:pointCoordinates></loc:pointByCoordinates></roa:measurementSiteLocation>
   </roa:measurementSite>
   <roa:measurementSite id="FAR_AWAY" version="1">
    <roa:measurementSiteLocation xsi:type="loc:PointLocation"><loc:pointByCoordinates><loc:pointCoordinates>
     <loc:latitude>53.2</loc:latitude><loc:longitude>6.56</loc:longitude>
    </loc:pointCoordinates></loc:pointByCoordinates></roa:measurementSiteLocation>
   </roa:measurementSite>
  </roa:measurementSiteTable>
 </mc:payload>
</mc:messageContainer>"""


def test_v3_site_table_positions_and_names() -> None:
    table = datex2.site_table(V3_TABLE)
    record = table["GDH01_SCHEVENINGSEWEG_IN"]
    assert (record.name, record.lat, record.lon, record.lanes) == ("Scheveningseweg in", 52.1021, 4.2831, 2)
    assert record.characteristics["1"].any_vehicle


def test_v3_data_error_drops_the_value(site: Site) -> None:
    raw = fixture("ndw_measurements.xml").replace(
        b"<com:speed>41</com:speed>", b"<com:dataError>true</com:dataError><com:speed>41</com:speed>")
    settings = NdwSettings(sites={"GDH01_SCHEVENINGSEWEG_IN": "Scheveningseweg"})
    got = {o.metric: o.value for o in NdwTrafficSource().parse(raw, settings, site, NOON)}
    assert got["speed_kmh"] == 38  # only lane 2 is left


def test_streaming_guard_stops_an_oversized_document() -> None:
    bomb = gzip.compress(fixture("ndw_measurements.xml") + b"<!--" + b" " * 5_000_000 + b"-->")
    with pytest.raises(SourceError) as caught:
        list(datex2.measured_sites(bomb, limit=1_000_000))
    assert caught.value.reason == "bad_format" and "streaming guard" in caught.value.detail


def test_site_table_selects_sites_near_zones_through_the_connector(site: Site, tmp_path: Path) -> None:
    (tmp_path / "table.xml").write_bytes(V3_TABLE)
    settings = NdwSettings(site_table_url=f"file:{tmp_path / 'table.xml'}", radius_m=1500)
    source = NdwTrafficSource()
    observations = source.parse(fixture("ndw_measurements.xml"), settings, site, NOON)
    assert {o.sensor_id for o in observations} == {"traffic:GDH01_SCHEVENINGSEWEG_IN"}
    described = source.describe(b"", settings, site)["sites"]["GDH01_SCHEVENINGSEWEG_IN"]
    assert described["road"] == "Scheveningseweg in" and described["zones"]


def test_no_site_near_any_zone_is_empty_not_ok(site: Site, tmp_path: Path) -> None:
    (tmp_path / "table.xml").write_bytes(V3_TABLE.replace(b"52.1021", b"51.0"))
    settings = NdwSettings(site_table_url=f"file:{tmp_path / 'table.xml'}", radius_m=200)
    with pytest.raises(SourceError) as caught:
        NdwTrafficSource().parse(fixture("ndw_measurements.xml"), settings, site, NOON)
    assert caught.value.reason == "empty_feed" and "within 200 m of any zone" in caught.value.detail


def _situations(records: int) -> bytes:
    """A v3 SituationPublication (self-made, the shape of NDW's planned-works file) of any size."""
    record = b"<sit:situation id='S'><sit:situationRecord xsi:type='sit:MaintenanceWorks' id='R'/></sit:situation>"
    return gzip.compress(
        b"<mc:messageContainer xmlns:mc='http://datex2.eu/schema/3/messageContainer'"
        b" xmlns:sit='http://datex2.eu/schema/3/situation' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>"
        b"<mc:payload xsi:type='sit:SituationPublication'>" + record * records + b"</mc:payload></mc:messageContainer>")


@pytest.mark.parametrize("read", [datex2.measured_sites, datex2.site_table])
def test_another_publication_is_refused_at_its_payload_not_after_reading_it(read: object) -> None:
    # 200,000 records unpack to ~21 MB: with a 1 MB guard, only stopping at the payload's start
    # gives the publication-type error instead of the size error
    raw = _situations(200_000)
    with pytest.raises(SourceError) as caught:
        list(read(raw, limit=1_000_000))  # type: ignore[operator]
    assert caught.value.reason == "bad_format" and caught.value.field == "payloadPublication"
    assert caught.value.detail.endswith("found DATEX II v3 SituationPublication")


def test_a_document_without_payload_is_refused_within_its_first_megabyte() -> None:
    hostile = b"<?xml version='1.0'?><d2LogicalModel xmlns='http://datex2.eu/schema/2/2_0'>" + b"<x>1</x>" * 500_000
    with pytest.raises(SourceError) as caught:
        list(datex2.measured_sites(hostile + b"</d2LogicalModel>"))
    assert caught.value.detail == "no DATEX II payloadPublication or payload in the first 1048576 bytes"
