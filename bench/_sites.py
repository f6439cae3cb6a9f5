"""Synthetic sites for benchmarks: many sensors and zones in a temp folder."""

from __future__ import annotations

import json
from pathlib import Path

import yaml


def make_site(folder: Path, zones: int = 100, sensors_per_zone: int = 10, site_id: str = "bench",
              line_counter_reset: str | None = None) -> Path:
    """A grid of square zones near Scheveningen with line counters (60 s) feeding them;
    `line_counter_reset` ("HH:MM" local) moves the daily restart of their balances."""
    folder.mkdir(parents=True, exist_ok=True)
    features = []
    per_row = max(1, int(zones**0.5))
    for index in range(zones):
        lon = 4.25 + (index % per_row) * 0.0012
        lat = 52.09 + (index // per_row) * 0.0008
        d = 0.001
        features.append({
            "type": "Feature",
            "properties": {"id": f"z{index}", "name": f"Zone {index}", "walkable_area_m2": 2000},
            "geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat],
                         [lon + d, lat + d * 0.7], [lon, lat + d * 0.7], [lon, lat]]]},
        })
    sensors = [
        {"id": f"s{z}-{k}", "kind": "line_counter", "zone": f"z{z}", "interval_seconds": 60}
        for z in range(zones) for k in range(sensors_per_zone)
    ]
    site: dict[str, object] = {"id": site_id, "name": "Benchmark site", "timezone": "Europe/Amsterdam",
                               "sensors": sensors}
    if line_counter_reset is not None:
        site["defaults"] = {"line_counter_reset": line_counter_reset}
    (folder / "site.yaml").write_text(yaml.safe_dump(site), encoding="utf-8")
    (folder / "zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return folder
