"""NDW DATEX II files as NDW served them: v2 measured data and site tables (SOAP envelope, gzipped,
national size; repository files, $CSM_REAL_SAMPLES) and the national v3 situation file (inside
streetworks' sdist, run in CI); values read by hand from the files (zcat | grep)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from csm.site.loader import load_site
from csm.sources import datex2
from csm.sources.protocol import SourceError
from csm.sources.traffic_ndw import NdwSettings, parse_measurements, select_sites
from tests.sources.real.conftest import packaged_sample, real_sample, write_point_site

SPEED = "trafficspeed_2016-09-09T1557Z.xml.gz"  # sihaya/traffic traffic_speed_2016-09-09T16:00:01+02:00.xml.gz
TABLE = "measurement_2016-09-09T1100Z.xml.gz"  # sihaya/traffic measurement_2016-09-09T13:00:01+02:00.xml.gz
AT = datetime(2016, 9, 9, 13, 57, tzinfo=UTC)


@pytest.fixture(scope="module")
def n206(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A site whose one zone lies on the N206 at NDW measurement site PZH01_MST_0004_00."""
    return load_site(write_point_site(tmp_path_factory.mktemp("n206"), "n206", 52.1223, 4.49208))


def test_v2_soap_trafficspeed_streams_every_site() -> None:
    sites = list(datex2.measured_sites(real_sample("ndw", SPEED).read_bytes()))
    assert len(sites) == 16975  # grep -c '<siteMeasurements'
    first = sites[0]
    assert first.site_id == "PUT01_PUVIS_N416.03_1_2" and first.time_text == "2016-09-09T13:57:00Z"
    assert [v.value for v in first.values if v.kind == "TrafficFlow"] == [0, 540, 0, 0, 0, 540]
    # index 7: speed -1 with numberOfInputValuesUsed="0" is "no data", index 8: 70 km/h of 9 vehicles
    assert (first.values[6].value, first.values[7].value, first.values[7].inputs) == (None, 70, 9)


def test_v2_site_table_picks_sites_near_the_zone_and_sums_only_any_vehicle(n206: object) -> None:
    table = real_sample("ndw", TABLE).read_bytes()
    selection = select_sites(table, NdwSettings(radius_m=100), n206)  # type: ignore[arg-type]
    record = selection.records["PZH01_MST_0004_00"]
    assert (record.name, record.lat, record.lon, record.lanes) == ("N206 km 8.024", 52.1223, 4.49208, 2)
    assert [i for i, c in record.characteristics.items() if c.any_vehicle] == ["4", "8", "12", "16"]
    observations = parse_measurements(real_sample("ndw", SPEED).read_bytes(), NdwSettings(radius_m=100),
                                      n206, selection)  # type: ignore[arg-type]
    got = {(o.sensor_id, o.metric, o.interval_start): o.value for o in observations}
    # lanes 1 and 2, any vehicle: 240 + 540 veh/h (the length classes 1-3, 9-11 are not added again)
    assert got[("traffic:PZH01_MST_0004_00", "flow_veh_h", AT)] == 780
    # 66 km/h of 4 vehicles and 90 km/h of 9 vehicles
    assert got[("traffic:PZH01_MST_0004_00", "speed_kmh", AT)] == pytest.approx((66 * 4 + 90 * 9) / 13, abs=0.01)


def test_data_error_flags_are_honoured() -> None:
    raw = real_sample("ndw", SPEED).read_bytes()
    flagged = [v for s in datex2.measured_sites(raw) for v in s.values if v.kind == "TrafficSpeed" and v.value == -1]
    assert flagged == []  # every <dataError>true</dataError> / -1 speed became "no value"


def test_a_site_table_given_as_measurements_names_what_it_is(n206: object) -> None:
    with pytest.raises(SourceError) as caught:
        parse_measurements(real_sample("ndw", TABLE).read_bytes(), NdwSettings(), n206, None)  # type: ignore[arg-type]
    assert "found DATEX II v2 MeasurementSiteTablePublication" in caught.value.detail


def test_sample_paths_exist_for_provenance(tmp_path: Path) -> None:
    assert real_sample("ndw", SPEED).stat().st_size == 1384254
    assert real_sample("ndw", TABLE).stat().st_size == 2309298


def test_site_table_excerpt_one_record() -> None:
    # mst.xml: an excerpt of the same NDW01_MT table (tab-indented), one measurementSiteRecord
    table = datex2.site_table(real_sample("ndw", "mst.xml").read_bytes())
    assert list(table) == ["PZH01_MST_0004_00"] and len(table["PZH01_MST_0004_00"].characteristics) == 16


def test_measured_excerpt_of_a_motorway_site() -> None:
    # mdp_a20_test_1.xml: two A20 sites cut from the same trafficspeed publication
    first = next(datex2.measured_sites(real_sample("ndw", "mdp_a20_test_1.xml").read_bytes()))
    assert first.site_id == "RWS01_MONIBAS_0201hrr0200ra" and first.time_text == "2016-09-09T13:56:00Z"
    assert [(v.kind, v.value) for v in first.values] == [
        ("TrafficFlow", 1800), ("TrafficSpeed", 107), ("TrafficFlow", 1380), ("TrafficSpeed", 92)]


# -- NDW's planned-works file shipped in streetworks 0.10.0's sdist (see registry.py) ----------------
def test_v3_situation_file_is_refused_at_once_naming_what_it_is(n206: object) -> None:
    # ndw-planned.xml.gz: NDW's national DATEX II v3 SituationPublication of 26 Jul 2026 08:45 UTC
    # (messageContainer, publicationCreator NDWNL, 14.0 MB gzipped, 161,423,928 bytes unpacked).
    # Refused at the payload's start: even a 10 MB streaming guard is never reached.
    raw = packaged_sample("ndw/ndw-planned.xml.gz").read_bytes()
    with pytest.raises(SourceError) as caught:
        list(datex2.measured_sites(raw, limit=10_000_000))
    assert caught.value.detail == ("expected a DATEX II v2 or v3 MeasuredDataPublication, "
                                   "found DATEX II v3 SituationPublication")
    with pytest.raises(SourceError) as caught:
        select_sites(raw, NdwSettings(radius_m=100), n206)  # type: ignore[arg-type]
    assert caught.value.detail == ("expected a DATEX II v2 or v3 MeasurementSiteTablePublication, "
                                   "found DATEX II v3 SituationPublication")
