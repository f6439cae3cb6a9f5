"""Issue 12, CSV import: per-row refusals with line numbers and a summary; Latin-1 and UTF-8 BOM
files; extra columns refuse the file; the CLI and HTTP paths share one reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from csm.cli import app
from csm.runtime import Runtime
from csm.store.duckdb_store import DuckDBStore
from tests.conftest import NOON, AuthedClient

HEADER = "sensor_id,interval_start,interval_seconds,metric,value\n"


def start(minutes_ago: int) -> str:
    """A recent interval start: the CLI validates against the real clock."""
    moment = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago)
    return moment.isoformat()


def noon_start(minutes_ago: int) -> str:
    return (NOON - timedelta(minutes=minutes_ago)).isoformat()


def run_cli(csv_file: Path, site_dir: Path, store: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["ingest", str(csv_file), "--site", str(site_dir), "--store",
                                      f"duckdb:{store}"])
    return result.exit_code, result.output


def test_year_0001_row_refuses_that_row_only(tiny_site_dir: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "counts.csv"
    csv_file.write_text(HEADER + f"cam-a,{start(2)},60,occupancy,5\n"
                        "cam-a,0001-01-01T00:00:00,60,occupancy,5\n"
                        f"cam-a,{start(3)},60,occupancy,6\n"
                        f"cam-a,9999-12-31T23:59:00-05:00,60,occupancy,{'9' * 5000}\n", encoding="utf-8")
    code, output = run_cli(csv_file, tiny_site_dir, tmp_path / "s.duckdb")
    assert code == 0, output
    assert f"{csv_file}:3: bad_timestamp (interval_start)" in output
    assert f"{csv_file}:5: bad_timestamp (interval_start)" in output
    assert "stored 2, duplicates 0, refused 2 of 4 rows (bad_timestamp 2)" in output
    opened = DuckDBStore(tmp_path / "s.duckdb")
    assert opened.count_observations("tiny") == 2
    opened.close()


def test_latin1_and_bom_files_are_read(tiny_site_dir: Path, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes((HEADER + f"cam-a,{start(2)},60,occupancy,5\n"
                       f"caméra-é,{start(2)},60,occupancy,5\n").encode("latin-1"))
    code, output = run_cli(latin, tiny_site_dir, tmp_path / "s.duckdb")
    assert code == 0, output
    assert "stored 1, duplicates 0, refused 1 of 2 rows (unknown_sensor 1)" in output
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + f"cam-a,{start(3)},60,occupancy,5\n").encode("utf-8"))
    code, output = run_cli(bom, tiny_site_dir, tmp_path / "s.duckdb")
    assert code == 0, output
    assert "stored 1, duplicates 0, refused 0 of 1 rows" in output


def test_extra_columns_refuse_the_file(tiny_site_dir: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "counts.csv"
    csv_file.write_text("sensor_id,interval_start,interval_seconds,metric,value,phone\n"
                        f"cam-a,{start(2)},60,occupancy,5,0612345678\n", encoding="utf-8")
    code, output = run_cli(csv_file, tiny_site_dir, tmp_path / "s.duckdb")
    assert code == 2
    assert "unexpected_column" in output and "phone" in output
    assert "0612345678" not in output
    opened = DuckDBStore(tmp_path / "s.duckdb")
    assert opened.count_observations("tiny") == 0
    letters = opened.list_dead_letters("tiny")
    assert [d.reason for d in letters] == ["unexpected_column"]
    assert "0612345678" not in letters[0].payload
    opened.close()


def test_row_with_more_values_than_the_header_is_refused_with_its_line(
    tiny_site_dir: Path, tmp_path: Path
) -> None:
    csv_file = tmp_path / "counts.csv"
    csv_file.write_text(HEADER + f"cam-a,{start(2)},60,occupancy,5,jan@example.nl\n"
                        f"cam-a,{start(3)},60,occupancy,5\n", encoding="utf-8")
    code, output = run_cli(csv_file, tiny_site_dir, tmp_path / "s.duckdb")
    assert code == 0, output
    assert f"{csv_file}:2: unexpected_field" in output
    assert "jan@example.nl" not in output


def test_csv_over_http_shares_the_reader(http: AuthedClient, store_runtime: Runtime) -> None:
    body = (HEADER + f"cam-a,{noon_start(2)},60,occupancy,5\n" + "cam-a,0001-01-01T00:00:00,60,occupancy,5\n")
    response = http.post("/api/v1/observations", content=body.encode("latin-1"),
                         headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    answer = response.json()  # type: ignore[attr-defined]
    assert answer["accepted"] == 1
    assert [(r["line"], r["reason"]) for r in answer["rejected"]] == [(3, "bad_timestamp")]
    assert answer["summary"] == "stored 1, duplicates 0, refused 1 of 2 rows (bad_timestamp 1)"
    assert store_runtime.store.count_observations("tiny") == 1
