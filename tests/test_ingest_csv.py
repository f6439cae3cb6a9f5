"""`csm ingest FILE.csv`: batch import with a line-numbered answer for refused rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from csm.cli import app
from csm.store.duckdb_store import DuckDBStore


def _start(minutes_ago: int) -> str:
    moment = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago)
    return moment.isoformat()


def test_csv_rows_are_stored_and_bad_rows_named_by_line(tiny_site_dir: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "counts.csv"
    csv_file.write_text(
        "sensor_id,interval_start,interval_seconds,metric,value\n"
        f"cam-a,{_start(3)},60,occupancy,120\n"
        f"lc-b,{_start(3)},60,in,12\n"
        f"lc-b,{_start(3)},60,out,4\n"
        f"cam-a,{_start(2)},60,occupancy,minus three\n"
        f"cam-x,{_start(2)},60,occupancy,3\n",
        encoding="utf-8",
    )
    store = tmp_path / "s.duckdb"
    args = ["ingest", str(csv_file), "--site", str(tiny_site_dir), "--store", f"duckdb:{store}"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "stored 3, duplicates 0, refused 2 of 5 rows (not_a_number 1, unknown_sensor 1)" in result.output
    assert f"{csv_file}:5: not_a_number (value)" in result.output
    assert f"{csv_file}:6: unknown_sensor (sensor_id)" in result.output
    again = CliRunner().invoke(app, args)
    assert "stored 0, duplicates 3, refused 2 of 5 rows" in again.output
    opened = DuckDBStore(store)
    assert opened.count_observations("tiny") == 3
    assert len(opened.list_dead_letters("tiny")) == 4
    opened.close()


def test_csv_without_required_columns_is_a_clear_error(tiny_site_dir: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "counts.csv"
    csv_file.write_text("sensor,time,count\ncam-a,2026-07-18T10:00:00Z,3\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["ingest", str(csv_file), "--site", str(tiny_site_dir), "--store", f"duckdb:{tmp_path / 's.duckdb'}"]
    )
    assert result.exit_code == 2
    assert "header lacks column(s) sensor_id, interval_start, metric, value" in result.output
