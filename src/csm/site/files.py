"""Optional files of a site folder beside site.yaml and zones.geojson, and how they are read, so
the features that use them (access routes, the flow network) do not import each other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NETWORK_FILE = "network.geojson"  # walkable/drivable links between zones and posts
POSTS_FILE = "posts.geojson"  # emergency-service posts


def read_geojson(path: Path | None) -> dict[str, Any]:
    """A GeoJSON file; an absent optional file is an empty FeatureCollection."""
    if path is None:
        return {"type": "FeatureCollection", "features": []}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
