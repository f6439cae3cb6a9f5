"""The map's data from the site folder: the typed basemap section, buildings imported from
CityJSON (3D BAG style) and GeoJSON in RD New, the offline PMTiles basemap built from the context
layer, and the API serving it with HTTP range requests behind the login."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import TileType
from pyproj import Transformer
from typer.testing import CliRunner

from csm.api.app import create_app
from csm.cli import app as cli
from csm.clock import FixedClock
from csm.runtime import build_runtime
from csm.site.loader import validate_site_dir
from tests.conftest import NOON, session_token

TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
KURHAUS = (4.2763, 52.1114)  # lon, lat in the demo's frame


def _set_basemap(folder: Path, basemap: dict[str, Any] | None) -> None:
    path = folder / "site.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["basemap"] = basemap
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(("basemap", "expected"), [
    ({"kind": "style"}, "basemap: Value error, kind style needs `url:`"),
    ({"kind": "pmtiles", "file": "missing.pmtiles"}, "basemap.file: 'missing.pmtiles' not found"),
    ({"kind": "context", "context": "../elsewhere.geojson"}, "files must be inside the site folder"),
    ({"kind": "satellite"}, "basemap.kind: Input should be 'style', 'pmtiles' or 'context'"),
])
def test_site_validate_reports_basemap_problems(demo_site_copy: Path, basemap: dict[str, Any], expected: str) -> None:
    _set_basemap(demo_site_copy, basemap)
    site, problems = validate_site_dir(demo_site_copy)
    assert site is None
    assert any(expected in str(p) for p in problems), [str(p) for p in problems]


def test_demo_site_ships_context_and_buildings(demo_site_copy: Path) -> None:
    site, problems = validate_site_dir(demo_site_copy)
    assert problems == [] and site is not None
    context = json.loads((demo_site_copy / "context.geojson").read_text(encoding="utf-8"))
    kinds = {f["properties"]["kind"] for f in context["features"]}
    assert {"sea", "beach", "dunes", "boulevard", "street", "tram", "tram_stop", "harbour", "pier", "landmark"} <= kinds
    names = {f["properties"]["name"] for f in context["features"]}
    assert {"Kurhaus", "De Pier", "Gevers Deynootweg", "Noordzee"} <= names
    buildings = json.loads((demo_site_copy / "buildings.geojson").read_text(encoding="utf-8"))["features"]
    assert all(f["properties"]["height"] > 0 for f in buildings)
    assert (demo_site_copy / "PROVENANCE.md").is_file()


def _rd(lon: float, lat: float) -> tuple[float, float]:
    x, y = TO_RD.transform(lon, lat)
    return round(x, 3), round(y, 3)


def _cityjson_box_building() -> dict[str, Any]:
    """A CityJSON 2.0 file written by hand after the specification (no sample ships with cjio or
    cityjson-lib): one Building with one BuildingPart, an LOD 1.2 Solid of 20 m × 12 m, ground at
    1.5 m NAP and roof at 19.5 m NAP, in RD New with a `transform` as 3D BAG tiles have."""
    x0, y0 = _rd(*KURHAUS)
    scale, translate = [0.001, 0.001, 0.001], [x0, y0, 0.0]
    corners = [(0, 0), (20, 0), (20, 12), (0, 12)]
    vertices = [[round(dx / scale[0]), round(dy / scale[1]), round(z / scale[2])]
                for z in (1.5, 19.5) for dx, dy in corners]
    bottom, top = [0, 3, 2, 1], [4, 5, 6, 7]
    walls = [[i, (i + 1) % 4, (i + 1) % 4 + 4, i + 4] for i in range(4)]
    shell = [[bottom], [top], *[[w] for w in walls]]
    return {
        "type": "CityJSON", "version": "2.0",
        "transform": {"scale": scale, "translate": translate},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/7415"},
        "CityObjects": {
            "NL.IMBAG.Pand.0518100000000001": {
                "type": "Building", "children": ["NL.IMBAG.Pand.0518100000000001-0"],
                "attributes": {"identificatie": "NL.IMBAG.Pand.0518100000000001", "b3_h_maaiveld": 1.5,
                               "b3_h_dak_max": 19.5},
            },
            "NL.IMBAG.Pand.0518100000000001-0": {
                "type": "BuildingPart", "parents": ["NL.IMBAG.Pand.0518100000000001"],
                "geometry": [{"type": "Solid", "lod": "1.2", "boundaries": [shell]}],
            },
        },
        "vertices": vertices,
    }


def test_import_buildings_from_cityjson_in_rd_new(tmp_path: Path, demo_site_copy: Path) -> None:
    source = tmp_path / "tile.city.json"
    source.write_text(json.dumps(_cityjson_box_building()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["site", "import-buildings", str(source), "--site", str(demo_site_copy),
                                      "--crs", "EPSG:28992", "--provenance", "hand-written CityJSON"])
    assert result.exit_code == 0, result.output
    assert "1 buildings" in result.output
    written = json.loads((demo_site_copy / "buildings.geojson").read_text(encoding="utf-8"))
    (feature,) = written["features"]
    assert feature["id"] == "NL.IMBAG.Pand.0518100000000001"
    assert feature["properties"]["height"] == pytest.approx(18.0)
    ring = feature["geometry"]["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    assert min(lons) == pytest.approx(KURHAUS[0], abs=1e-5) and min(lats) == pytest.approx(KURHAUS[1], abs=1e-5)
    width_deg = max(lons) - min(lons)  # 20 m east-west at 52° N ≈ 0.000292°
    assert width_deg == pytest.approx(20 / (111_320 * 0.6146), rel=0.02)
    assert written["provenance"] == "hand-written CityJSON"


def test_import_buildings_from_geojson_appends(tmp_path: Path, demo_site_copy: Path) -> None:
    x, y = _rd(*KURHAUS)
    source = tmp_path / "panden.geojson"
    source.write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
        "features": [
            {"type": "Feature", "id": "p1", "properties": {"hoogte": 11.5},
             "geometry": {"type": "Polygon",
                          "coordinates": [[[x, y], [x + 10, y], [x + 10, y + 8], [x, y + 8], [x, y]]]}},
            {"type": "Feature", "id": "p2", "properties": {"name": "no height"},
             "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + 5, y], [x + 5, y + 5], [x, y]]]}},
        ],
    }), encoding="utf-8")
    before = len(json.loads((demo_site_copy / "buildings.geojson").read_text(encoding="utf-8"))["features"])
    result = CliRunner().invoke(
        cli, ["site", "import-buildings", str(source), "--site", str(demo_site_copy), "--append"])
    assert result.exit_code == 0, result.output
    features = json.loads((demo_site_copy / "buildings.geojson").read_text(encoding="utf-8"))["features"]
    assert len(features) == before + 1
    added = next(f for f in features if f["id"] == "p1")
    assert added["properties"]["height"] == 11.5
    assert added["geometry"]["coordinates"][0][0] == pytest.approx(list(KURHAUS), abs=1e-5)


def _build_demo_pmtiles(folder: Path) -> Path:
    result = CliRunner().invoke(cli, ["site", "build-basemap", "--site", str(folder), "--max-zoom", "15"])
    assert result.exit_code == 0, result.output
    return folder / "basemap.pmtiles"


def test_build_basemap_writes_a_pmtiles_archive_of_the_context(demo_site_copy: Path) -> None:
    archive = _build_demo_pmtiles(demo_site_copy)
    with archive.open("rb") as handle:
        reader = Reader(MmapSource(handle))
        header = reader.header()
        assert header["tile_type"] == TileType.MVT and header["min_zoom"] == 12 and header["max_zoom"] == 15
        assert {layer["id"] for layer in reader.metadata()["vector_layers"]} == {"context", "buildings"}
        # The z15 tile holding the Kurhaus carries both layers and its name.
        n = 2**15
        import math
        x = int((KURHAUS[0] + 180) / 360 * n)
        lat = math.radians(KURHAUS[1])
        y = int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * n)
        tile = gzip.decompress(reader.get(15, x, y))
    assert b"context" in tile and b"buildings" in tile and b"Kurhaus" in tile


@pytest.fixture
def pmtiles_client(demo_site_copy: Path, tmp_path: Path) -> Any:
    _build_demo_pmtiles(demo_site_copy)
    _set_basemap(demo_site_copy, {"kind": "pmtiles", "file": "basemap.pmtiles", "context": "context.geojson",
                                  "theme": "light"})
    runtime = build_runtime([demo_site_copy], f"duckdb:{tmp_path / 'csm.duckdb'}", clock=FixedClock(NOON))
    try:
        with TestClient(create_app(runtime, web_dist=None)) as client:
            yield client, {"Authorization": f"Bearer {session_token(runtime, 'viewer', ('scheveningen',))}"}, \
                demo_site_copy / "basemap.pmtiles"
    finally:
        runtime.close()


def test_api_serves_the_pmtiles_archive_with_range_requests(pmtiles_client: Any) -> None:
    client, auth, archive = pmtiles_client
    size = archive.stat().st_size
    content = archive.read_bytes()
    info = client.get("/api/v1/sites/scheveningen/basemap", headers=auth).json()
    assert info == {"kind": "pmtiles", "theme": "light", "style_url": None,
                    "pmtiles_url": "/api/v1/sites/scheveningen/basemap/tiles.pmtiles",
                    "context_url": "/api/v1/sites/scheveningen/basemap/context"}
    url = info["pmtiles_url"]
    head = client.get(url, headers={**auth, "Range": "bytes=0-126"})
    assert head.status_code == 206
    assert head.headers["content-range"] == f"bytes 0-126/{size}"
    assert head.content == content[:127] and head.content[:7] == b"PMTiles"
    suffix = client.get(url, headers={**auth, "Range": "bytes=-100"})
    assert suffix.status_code == 206 and suffix.content == content[-100:]
    assert suffix.headers["content-range"] == f"bytes {size - 100}-{size - 1}/{size}"
    beyond = client.get(url, headers={**auth, "Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    whole = client.get(url, headers=auth)
    assert whole.status_code == 200 and whole.content == content and whole.headers["accept-ranges"] == "bytes"
    assert client.get(url, headers={"Range": "bytes=0-126"}).status_code == 401
    context = client.get(info["context_url"], headers=auth).json()
    assert any(f["properties"]["name"] == "Kurhaus" for f in context["features"])
