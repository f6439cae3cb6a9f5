"""SPDP v1 and v2 field names, locationForDisplay, and freshness judged per garage (self-made
edge cases in the shape of the RDW/NPR open-data documents; no real SPDP file is available to
the tests yet, see tests/sources/real/PROVENANCE.md)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from csm.site.model import Site
from csm.sources.parking_spdp import SpdpParkingSource, SpdpSettings
from csm.sources.protocol import SourceError
from tests.sources.test_connectors import FIXTURES, NOON, parking_bundle

V1_STATIC = {"parkingFacilityStaticInformation": {
    "identifier": "8d85bbdb-0000-4a24-b35f-000000000000", "name": "P06 - Sluisstraat",
    "locationForDisplay": {"coordinatesType": "WGS84", "latitude": 52.2490, "longitude": 6.1631},
    "specifications": [{"capacity": 410}],
}}


def dynamic(vacant: int, updated: float, capacity: int | None = None) -> str:
    status: dict[str, object] = {"vacantSpaces": vacant, "lastUpdated": updated, "open": True, "full": False}
    if capacity is not None:
        status["parkingCapacity"] = capacity
    return json.dumps({"parkingFacilityDynamicInformation": {"facilityActualStatus": status}})


def settings(*ids: str) -> SpdpSettings:
    return SpdpSettings(facilities=[{"id": i, "dynamic_url": f"file:{i}.json"} for i in ids], poll_seconds=300)


def test_v1_static_document_gives_capacity_name_and_location(site: Site) -> None:
    raw = parking_bundle({"sluis": dynamic(10, NOON.timestamp())}, {"sluis": json.dumps(V1_STATIC)})
    got = {o.metric: o.value for o in SpdpParkingSource().parse(raw, settings("sluis"), site, NOON)}
    assert (got["capacity"], got["occupied"]) == (410, 400)
    described = SpdpParkingSource().describe(raw, settings("sluis"), site)["facilities"]["sluis"]
    assert (described["name"], described["location"], described["spdp"]) == ("P06 - Sluisstraat",
                                                                             (6.1631, 52.249), "v1")


def test_location_for_display_comes_first(site: Site) -> None:
    static = (FIXTURES / "parking" / "kurhaus-static.json").read_text()
    raw = parking_bundle({"kurhaus": dynamic(10, NOON.timestamp(), 750)}, {"kurhaus": static})
    described = SpdpParkingSource().describe(raw, settings("kurhaus"), site)["facilities"]["kurhaus"]
    assert described["location"] == (4.2772, 52.1111) and described["spdp"] == "v2"
    assert described["last_updated"] == NOON.isoformat()


def test_a_garage_whose_data_stopped_is_named_while_the_fresh_one_is_kept(site: Site) -> None:
    years_ago = (NOON - timedelta(days=3 * 365)).timestamp()
    raw = parking_bundle({"fresh": dynamic(10, NOON.timestamp(), 100), "old": dynamic(5, years_ago, 100)})
    with pytest.raises(SourceError) as caught:
        SpdpParkingSource().parse(raw, settings("fresh", "old"), site, NOON)
    assert caught.value.reason == "stale_facility" and "old (last update 2023-07-19" in caught.value.detail
    assert {o.sensor_id for o in caught.value.partial} == {"parking:fresh"}


def test_millisecond_timestamps_are_a_unit_error(site: Site) -> None:
    raw = parking_bundle({"ms": dynamic(10, NOON.timestamp() * 1000, 100)})
    with pytest.raises(SourceError) as caught:
        SpdpParkingSource().parse(raw, settings("ms"), site, NOON)
    assert caught.value.reason == "implausible_value" and "milliseconds" in caught.value.detail
