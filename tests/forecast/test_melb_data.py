"""bench/melb_data.py reads the Melbourne pedestrian-count file's own format (no header, a leading
space, upper-case months, CRLF) and handles its DST days — on a few self-made lines; the real file
is not needed."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from datetime import date
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _melb_data() -> ModuleType:
    spec = importlib.util.spec_from_file_location("melb_data", BENCH / "melb_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("melb_data", module)
    spec.loader.exec_module(module)
    return module


melb = _melb_data()

LINES = [
    # autumn 2014 (6 April): one 02:00 row for two clock hours — ambiguous, dropped
    " 06-APR-2014 01:00,Sunday,1,4.0,Town Hall (West),865",
    " 06-APR-2014 02:00,Sunday,2,4.0,Town Hall (West),90",
    " 06-APR-2014 03:00,Sunday,3,4.0,Town Hall (West),413",
    # spring 2012 (7 October): a 02:00 row for an hour the clock skipped — dropped
    " 07-OCT-2012 01:00,Sunday,1,4,Town Hall (West),395",
    " 07-OCT-2012 02:00,Sunday,2,4,Town Hall (West),259",
    " 07-OCT-2012 03:00,Sunday,3,4,Town Hall (West),160",
    # an empty sensor id (the name is there: kept), an empty count (dropped), an empty name (its id's)
    " 01-JAN-2012 17:00,Sunday,17,,Flagstaff Station,35",
    " 01-JAN-2012 18:00,Sunday,18,13.0,Flagstaff Station,",
    " 01-JAN-2012 19:00,Sunday,19,13.0,Flagstaff Station,0",
    " 01-JAN-2012 20:00,Sunday,20,13.0,,7",
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_bytes("".join(line + "\r\n" for line in lines).encode())
    return path


def test_reads_the_format_and_drops_the_dst_hours(tmp_path: Path) -> None:
    counts = melb.load_counts(_write(tmp_path / "counts.csv", LINES))
    assert list(counts.columns) == ["timestamp", "zone", "count"]
    assert str(counts["timestamp"].dt.tz) == "UTC"
    town_hall = counts[counts["zone"] == "Town Hall (West)"].set_index("timestamp")["count"]
    # 7 Oct 2012: 01:00 AEST and 03:00 AEDT are consecutive UTC hours; the 02:00 row is gone
    # 6 Apr 2014: 01:00 AEDT = 14:00 UTC, 03:00 AEST = 17:00 UTC; both 02:00 hours (15, 16 UTC) are gaps
    assert town_hall.to_dict() == {
        pd.Timestamp("2012-10-06 15:00", tz="UTC"): 395.0,
        pd.Timestamp("2012-10-06 16:00", tz="UTC"): 160.0,
        pd.Timestamp("2014-04-05 14:00", tz="UTC"): 865.0,
        pd.Timestamp("2014-04-05 17:00", tz="UTC"): 413.0,
    }
    flagstaff = counts[counts["zone"] == "Flagstaff Station"].set_index("timestamp")["count"]
    assert flagstaff.to_dict() == {  # AEDT: UTC+11
        pd.Timestamp("2012-01-01 06:00", tz="UTC"): 35.0,
        pd.Timestamp("2012-01-01 08:00", tz="UTC"): 0.0,
        pd.Timestamp("2012-01-01 09:00", tz="UTC"): 7.0,
    }


def test_until_is_a_local_date(tmp_path: Path) -> None:
    counts = melb.load_counts(_write(tmp_path / "counts.csv", LINES), until=date(2012, 10, 7))
    assert set(counts["zone"]) == {"Flagstaff Station"}


def test_with_history_keeps_sensors_with_a_year_before_the_window() -> None:
    hours = pd.date_range("2013-01-01", "2014-12-31 23:00", freq="1h", tz="UTC")
    frame = pd.concat([
        pd.DataFrame({"timestamp": hours, "zone": "long", "count": 1.0}),
        pd.DataFrame({"timestamp": hours[hours >= "2014-06-01"], "zone": "new", "count": 1.0}),
        pd.DataFrame({"timestamp": hours[hours < "2014-10-01"], "zone": "stopped", "count": 1.0}),
    ])
    kept, dropped = melb.with_history(frame, weeks=6)
    assert set(kept["zone"]) == {"long"}
    assert set(dropped) == {"new", "stopped"}
    assert "history" in dropped["new"] and "no count" in dropped["stopped"]


def test_missing_file_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"curl -L -o .*resbaz/pedestriancounts/raw/9f1faa9"):
        melb.load_counts(tmp_path / "pedestriancounts_melbourne.zip")


def test_a_zip_that_is_not_the_published_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pedestriancounts_melbourne.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(melb.MEMBER, "".join(line + "\r\n" for line in LINES))
    with pytest.raises(ValueError, match="SHA-256"):
        melb.load_counts(path)
