"""Time and peak memory of each connector on real publisher files (full size where available).

Each file is parsed in a fresh child process so its peak RSS (ru_maxrss) is its own: the figure
includes the interpreter and libraries (about 100 MB), which is what a deployment pays too.
Files come from `$CSM_REAL_SAMPLES/<format>/<file>` (see tests/sources/real/PROVENANCE.md), from
the calendars shipped in recurring-ical-events and from the pinned PyPI sdists of
tests/sources/real/registry.py (downloaded once into its cache); missing ones are listed, not faked.

    .venv/bin/python bench/sources_bench.py [--samples DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# (format, file, what is parsed, site latitude, longitude) — the site is a zone at that point.
CASES: list[tuple[str, str, str, float, float]] = [
    ("ndw", "trafficspeed_2016-09-09T1557Z.xml.gz", "ndw_measured", 52.1223, 4.49208),
    ("ndw", "measurement_2016-09-09T1100Z.xml.gz", "ndw_site_table", 52.1223, 4.49208),
    ("gtfs", "emt_valencia_EMTvalid.zip", "gtfs", 39.468, -0.3784),
    ("gtfs", "fuenlabrada5.zip", "gtfs", 40.2842, -3.7942),
    ("gtfs", "logrono_20251016_gtfs.zip", "gtfs", 42.4736, -2.4532),
    ("gtfs_realtime", "cmet_alerts.pb", "gtfs_realtime", 38.8309, -9.1685),
    ("gtfs_realtime", "almanes_vehiclePositions.pb", "gtfs_realtime", 42.4653, -2.445),
    ("buienradar", "mjj4791_buienradar.json", "buienradar", 52.47, 4.57),
    ("ics", "Germany.ics", "ics", 52.52, 13.40),
    ("ics", "fablab_cottbus.ics", "ics", 51.7563, 14.3329),
]
# (key of tests/sources/real/registry.SAMPLES, what is parsed, latitude, longitude)
PACKAGED: list[tuple[str, str, float, float]] = [
    ("ndw/ndw-planned.xml.gz", "ndw_refused", 52.1223, 4.49208),
    ("gtfs/cairns_gtfs.zip", "gtfs", -16.850758, 145.746978),
    ("gtfs/nyc_subway_gtfs.zip", "gtfs", 40.75529, -73.987495),
    ("gtfs/auckland_test_gtfs.zip", "gtfs", -36.870360, 174.709640),
    ("gtfs_realtime/tripUpdates.pb", "gtfs_realtime", 52.37, 5.22),
]


def child(kind: str, path: str, lat: float, lon: float) -> None:
    """Parse one file (in this fresh process) and print seconds, items and peak RSS as JSON."""
    import tempfile
    from datetime import UTC, datetime

    sys.path.insert(0, str(REPO))
    from csm.site.loader import load_site  # noqa: I001  (tests/ is importable only after the path is set)
    from tests.sources.real.conftest import write_point_site

    site = load_site(write_point_site(Path(tempfile.mkdtemp()), "bench", lat, lon))
    raw = Path(path).read_bytes()
    now = datetime.now(UTC)
    started = time.perf_counter()
    if kind == "ndw_measured":
        from csm.sources import datex2

        items = sum(1 for _ in datex2.measured_sites(raw))
    elif kind == "ndw_refused":  # another publication: the time to say so
        from csm.sources import datex2
        from csm.sources.protocol import SourceError

        try:
            items = sum(1 for _ in datex2.measured_sites(raw))
        except SourceError:
            items = 0
    elif kind == "ndw_site_table":
        from csm.sources.traffic_ndw import NdwSettings, select_sites

        items = len(select_sites(raw, NdwSettings(radius_m=500), site).records)
    elif kind == "gtfs":
        from csm.sources.gtfs import read_near

        items = read_near(raw, site, 500, ()).rows_read
    elif kind == "gtfs_realtime":
        from csm.sources.gtfs_realtime import decode_feed

        items = len(decode_feed(raw).entity)
    elif kind == "buienradar":
        from csm.sources.weather_buienradar import BuienradarSettings, BuienradarSource

        items = len(BuienradarSource().parse(raw, BuienradarSettings(), site, now))
    else:
        from csm.sources.events import EventsSettings, parse_events

        items = len(parse_events(raw, site, EventsSettings(), (datetime(2000, 1, 1, tzinfo=UTC),
                                                                datetime(2030, 1, 1, tzinfo=UTC))))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "items": items, "peak_rss_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("CSM_REAL_SAMPLES") or str(REPO.parent / "shared" / "samples")
    parser.add_argument("--samples", default=default, help="folder of <format>/<file> real samples")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, lat, lon = args.child
        child(kind, path, float(lat), float(lon))
        return
    from importlib import resources

    calendars = Path(str(resources.files("recurring_ical_events").joinpath("test", "calendars")))
    print(f"{'file':44} {'size MB':>8} {'unpacked MB':>11} {'seconds':>8} {'peak RSS MB':>11}  items")
    cases = [(name, calendars / name if fmt == "ics" else Path(args.samples) / fmt / name, kind, lat, lon)
             for fmt, name, kind, lat, lon in CASES] + [_packaged(*case) for case in PACKAGED]
    for name, path, kind, lat, lon in cases:
        if not path.is_file():
            print(f"{name:44} missing: {path}")
            continue
        unpacked = _unpacked_mb(path)
        result = subprocess.run([sys.executable, __file__, "--child", kind, str(path), str(lat), str(lon)],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            print(f"{name:44} failed: {result.stderr.strip().splitlines()[-1:]}")
            continue
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"{name:44} {path.stat().st_size / 1e6:8.2f} {unpacked:11.1f} {figures['seconds']:8.2f} "
              f"{figures['peak_rss_mb']:11.0f}  {figures['items']}")


def _packaged(key: str, kind: str, lat: float, lon: float) -> tuple[str, Path, str, float, float]:
    sys.path.insert(0, str(REPO))
    from tests.sources.real.registry import SAMPLES, SampleUnavailable, packaged_file

    try:
        path = packaged_file(key)
    except SampleUnavailable as exc:
        print(f"{key:44} unavailable: {exc}")
        path = SAMPLES[key].folder / SAMPLES[key].member
    return path.name, path, kind, lat, lon


def _unpacked_mb(path: Path) -> float:
    import gzip
    import zipfile

    if path.suffix == ".gz":
        with gzip.open(path) as handle:
            return sum(len(chunk) for chunk in iter(lambda: handle.read(1 << 20), b"")) / 1e6
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist()) / 1e6
    return path.stat().st_size / 1e6


if __name__ == "__main__":
    main()
