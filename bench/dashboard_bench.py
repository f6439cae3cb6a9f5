"""Time to the first complete map with 1,000 zones, a basemap and 5,000 buildings, in headless
Chromium (software WebGL).

Run: .venv/bin/python bench/dashboard_bench.py [--zones 1000] [--buildings 5000] [--basemap context] [--loads 3]
Serves a synthetic site (a grid of zones with one counter each, all with fresh counts; a context
basemap of land, sea and a street grid; a grid of box buildings between the zones) from a temp
folder on a loopback port, logs in through /login, then loads the dashboard `--loads` times and
prints the time from navigation to the first complete map (zones drawn, basemap tiles and
buildings loaded, labels placed, map idle), and from posting new counts for every zone to the
redrawn map (live stream). Waits up to a minute for the next complete counting interval. Needs
the built dashboard (`make web`). `--basemap pmtiles` builds the archive with csm site build-basemap.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sites import make_site
from csm.api.app import WEB_DIST, create_app
from csm.api.live_server import serve_in_thread
from csm.auth.roles import Role
from csm.auth.tokens import issue_ingest_token
from csm.auth.users import UserDirectory
from csm.runtime import build_runtime
from csm.site.pmtiles_build import build_pmtiles

CHROMIUM = os.environ.get("CSM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
USER = ("bench", "bench-password-long-enough")


def browser_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's descendants: the Playwright
    driver, Chromium's browser, renderer and GPU processes (SwiftShader renders in the latter).
    Unlike wall time it does not grow when other jobs share the machine."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        fields = text[text.rindex(")") + 2:].split()
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    me, total = os.getpid(), 0
    for pid, tick in ticks.items():
        ancestor = parents.get(pid, 0)
        while ancestor not in (0, 1, me):
            ancestor = parents.get(ancestor, 0)
        if ancestor == me:
            total += tick
    return total / os.sysconf("SC_CLK_TCK")


def newest_interval(seconds: int = 60) -> str:
    now = int(time.time())
    return datetime.fromtimestamp(now - now % seconds - seconds, UTC).isoformat()


def post_counts(base: str, site: str, zones: int, seed: int) -> str:
    """One line counter per zone: `in` counts that spread the zones over all four levels."""
    rng = random.Random(seed)
    start = newest_interval()
    items = [{"sensor_id": f"s{z}-0", "interval_start": start, "interval_seconds": 60,
              "counts": {"in": rng.randint(0, 4500), "out": 0}} for z in range(zones)]
    response = httpx.post(f"{base}/api/v1/observations?site={site}", json=items, timeout=60,
                          headers={"Authorization": f"Bearer {issue_ingest_token('bench', site, None)}"})
    response.raise_for_status()
    return start


def _box(lon: float, lat: float, half: float) -> dict[str, object]:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def add_map_data(folder: Path, buildings: int, basemap: str) -> None:
    """Synthetic bench data (not a real place): buildings on a grid over the zones' extent, and a
    context basemap of land, sea and a street grid, so the page draws what a real site has."""
    import json

    zones = json.loads((folder / "zones.geojson").read_text(encoding="utf-8"))["features"]
    lons = [p[0] for f in zones for p in f["geometry"]["coordinates"][0]]
    lats = [p[1] for f in zones for p in f["geometry"]["coordinates"][0]]
    w, s, e, n = min(lons), min(lats), max(lons), max(lats)
    side = max(int(buildings ** 0.5), 1)
    features = []
    for i in range(buildings):
        lon = w + (e - w) * ((i % side) + 0.5) / side
        lat = s + (n - s) * ((i // side) + 0.5) / side
        features.append({"type": "Feature", "id": f"b{i}", "geometry": _box(lon, lat, (e - w) / side / 5),
                         "properties": {"id": f"b{i}", "height": 6 + (i * 7) % 30}})
    (folder / "buildings.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    pad = (e - w) * 0.2
    context = [
        {"type": "Feature", "properties": {"kind": "sea", "name": "Sea"},
         "geometry": {"type": "Polygon", "coordinates": [[[w - pad, n], [e + pad, n], [e + pad, n + pad],
                                                           [w - pad, n + pad], [w - pad, n]]]}},
        {"type": "Feature", "properties": {"kind": "beach", "name": "Beach"},
         "geometry": {"type": "Polygon", "coordinates": [[[w - pad, n - pad / 4], [e + pad, n - pad / 4], [e + pad, n],
                                                           [w - pad, n], [w - pad, n - pad / 4]]]}},
    ]
    for k in range(20):
        lon = w + (e - w) * k / 19
        context.append({"type": "Feature", "properties": {"kind": "street", "name": f"Street {k}"},
                        "geometry": {"type": "LineString", "coordinates": [[lon, s], [lon, n]]}})
    (folder / "context.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": context}))
    config = yaml.safe_load((folder / "site.yaml").read_text(encoding="utf-8"))
    if basemap == "context":
        config["basemap"] = {"kind": "context", "context": "context.geojson"}
    elif basemap == "pmtiles":
        build_pmtiles({"context": {"type": "FeatureCollection", "features": context}}, folder / "basemap.pmtiles")
        config["basemap"] = {"kind": "pmtiles", "file": "basemap.pmtiles", "context": "context.geojson"}
    (folder / "site.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


# The first complete map: zones drawn, buildings added, every source and tile loaded, map idle.
COMPLETE = ("() => { const c = window.__csm; if (!c || !c.idle) return false; const m = c.map;"
            " const done = m.loaded() && m.areTilesLoaded() && (!c.expectBuildings || m.getLayer('buildings'))"
            " && !m.isMoving(); if (done && !c.completeMs) c.completeMs = performance.now(); return done; }")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--buildings", type=int, default=5000)
    parser.add_argument("--basemap", choices=["context", "pmtiles", "none"], default="context")
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args()
    if not (WEB_DIST / "index.html").is_file():
        sys.exit("the dashboard is not built: run `make web`")
    if not Path(CHROMIUM).is_file():
        sys.exit(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("CSM_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_site(Path(tmp) / "bench", zones=args.zones, sensors_per_zone=1)
        add_map_data(folder, args.buildings, args.basemap)
        runtime = build_runtime([folder], f"duckdb:{Path(tmp) / 'bench.duckdb'}")
        UserDirectory(runtime.store).add(USER[0], Role.MUNICIPALITY, ["bench"], USER[1])
        try:
            with serve_in_thread(create_app(runtime)) as base, sync_playwright() as playwright:
                first_interval = post_counts(base, "bench", args.zones, seed=1)
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{base}/login")
                page.fill("input[name=username]", USER[0])
                page.fill("input[name=password]", USER[1])
                page.click("button[type=submit]")
                page.wait_for_selector("html[data-map-idle]", timeout=120_000)
                first_idle: list[float] = []
                in_page: list[float] = []
                zones_idle: list[float] = []
                cpu: list[float] = []
                frames: list[int] = []
                for _ in range(args.loads):
                    started, cpu_before = time.perf_counter(), browser_cpu_seconds()
                    page.goto(f"{base}/")
                    page.wait_for_selector("html[data-map-idle]", timeout=120_000)
                    page.evaluate(f"() => {{ window.__csm.expectBuildings = {str(args.buildings > 0).lower()}; }}")
                    page.wait_for_function(COMPLETE, timeout=120_000, polling=50)
                    first_idle.append(time.perf_counter() - started)
                    cpu.append(browser_cpu_seconds() - cpu_before)
                    in_page.append(page.evaluate("() => window.__csm.completeMs") / 1000)
                    frames.append(page.evaluate("() => window.__csm.frames"))
                    zones_idle.append(page.evaluate("() => window.__csm.firstIdleMs") / 1000)
                data_ready = page.evaluate(
                    "() => Math.max(...performance.getEntriesByType('resource')"
                    ".filter(e => /zones(\\/state)?$/.test(e.name)).map(e => e.responseEnd))") / 1000
                drawn = page.evaluate(  # stale zones (counts older than their interval) draw hatched
                    "() => window.__csm.map.queryRenderedFeatures({layers: ['zones-extrusion', 'zones-stale']})"
                    ".length")
                page.wait_for_selector("#connection[data-state=live]", timeout=30_000)
                before = page.evaluate("() => window.__csm.idle")
                while newest_interval() == first_interval:  # counts of the next complete minute
                    time.sleep(0.5)
                started = time.perf_counter()
                post_counts(base, "bench", args.zones, seed=2)
                page.wait_for_function(f"() => window.__csm.idle > {before}", timeout=120_000)
                update = time.perf_counter() - started
                browser.close()
        finally:
            runtime.close()
    print(f"dashboard: {args.zones} zones, {drawn} extrusions drawn, {args.buildings} buildings, basemap"
          f" {args.basemap}, 1280×800, Chromium + SwiftShader")
    print("  time to first complete map (navigation → basemap, zones, buildings drawn and idle): "
          f"median {statistics.median(first_idle):.2f} s "
          f"(min {min(first_idle):.2f}, max {max(first_idle):.2f}, {args.loads} loads; in-page clock: median "
          f"{statistics.median(in_page):.2f} s)")
    print(f"  CPU time of the browser's processes per load (independent of other jobs): median "
          f"{statistics.median(cpu):.2f} s (min {min(cpu):.2f}, max {max(cpu):.2f}); load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"  frames drawn until then: median {statistics.median(frames):.0f}")
    print(f"  first idle with the zones drawn (in-page): median {statistics.median(zones_idle):.2f} s")
    print(f"  of which zones and their state were loaded at {data_ready:.2f} s (last load)")
    print(f"  live update (POST counts for all zones → redrawn map): {update:.2f} s")


if __name__ == "__main__":
    main()
