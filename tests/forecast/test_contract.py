"""`csm forecast`: the CSV contract, clear errors for bad files, timestamps in the input's style."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from csm.cli import app
from tests.forecast.synthetic import synthetic_counts, write_naive_csv


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["forecast", *args])
    return result.exit_code, result.output


@pytest.fixture
def naive_csv(tmp_path: Path) -> Path:
    path = tmp_path / "counts.csv"
    write_naive_csv(synthetic_counts(days=20), path)
    return path


def test_one_row_per_zone_per_step_in_the_input_style(naive_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, output = run(["--counts", str(naive_csv), "--horizon", "6", "--out", str(out)])
    assert code == 0, output
    result = pd.read_csv(out)
    assert list(result.columns) == ["zone", "timestamp", "p10", "p50", "p90"]
    assert len(result) == 3 * 6
    assert result.groupby("zone").size().tolist() == [6, 6, 6]
    last_input = pd.read_csv(naive_csv)["timestamp"].max()  # 2025-01-25T23:00:00
    assert result["timestamp"].min() > last_input
    assert result.loc[result.zone == "zone-0", "timestamp"].tolist()[:2] == [
        "2025-01-26T00:00:00", "2025-01-26T01:00:00"]
    assert ((result.p10 <= result.p50) & (result.p50 <= result.p90) & (result.p10 >= 0)).all()


def test_offset_and_zulu_styles_are_kept(tmp_path: Path) -> None:
    frame = synthetic_counts(days=3, zones=1)
    for style, expected_suffix in (("offset", "+01:00"), ("zulu", "Z")):
        path = tmp_path / f"{style}.csv"
        out = frame.copy()
        if style == "offset":
            out["timestamp"] = out["timestamp"].map(lambda t: t.isoformat())
        else:
            out["timestamp"] = out["timestamp"].dt.tz_convert("UTC").map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"))
        out.to_csv(path, index=False)
        code, output = run(["--counts", str(path), "--horizon", "2", "--out", str(tmp_path / "o.csv")])
        assert code == 0, output
        stamps = pd.read_csv(tmp_path / "o.csv")["timestamp"]
        assert all(s.endswith(expected_suffix) for s in stamps), stamps.tolist()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("time,zone,count\n2025-01-01T00:00:00,a,1\n", "row 1: missing column(s) timestamp"),
        ("timestamp,zone,count\nyesterday,a,1\n", "row 2, column timestamp: not ISO 8601: 'yesterday'"),
        ("timestamp,zone,count\n2025-01-01T00:00:00,a,-3\n", "row 2, column count: expected a count ≥ 0"),
        ("timestamp,zone,count\n2025-01-01T00:00:00,a,many\n", "row 2, column count: not a number: 'many'"),
        ("timestamp,zone,count\n2025-01-01T00:00:00,,3\n", "row 2, column zone: empty"),
        ("timestamp,zone,count\n2025-01-01T00:00:00,a\n", "row 2: expected 3 columns, got 2"),
        ("timestamp,zone,count\n2025-01-01T00:00:00,a,1\n2025-01-01T01:00:00+01:00,a,1\n",
         "mixes naive and offset timestamps"),
        ("", "empty file"),
        ("timestamp,zone,count\n", "no data rows"),
    ],
)
def test_bad_files_get_a_clear_error_and_exit_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, output = run(["--counts", str(path), "--horizon", "3", "--out", str(tmp_path / "o.csv")])
    assert code == 2
    assert message in output
    assert "Traceback" not in output
    assert not (tmp_path / "o.csv").exists()


def test_missing_file_and_bad_weather(naive_csv: Path, tmp_path: Path) -> None:
    code, output = run(["--counts", str(tmp_path / "nope.csv"), "--horizon", "1", "--out", str(tmp_path / "o.csv")])
    assert code == 2 and "file not found" in output
    weather = tmp_path / "w.csv"
    weather.write_text("timestamp,temperature_c\n2025-01-26T00:00:00,300\n", encoding="utf-8")
    code, output = run(["--counts", str(naive_csv), "--horizon", "1", "--out", str(tmp_path / "o.csv"),
                        "--weather", str(weather)])
    assert code == 2 and "outside −50..60 °C (wrong unit?)" in output


def test_an_unknown_country_or_subdivision_is_refused(naive_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    code, output = run(["--counts", str(naive_csv), "--horizon", "1", "--out", str(out), "--country", "XX"])
    assert code == 2 and "--country XX" in output and "not available" in output
    code, output = run(["--counts", str(naive_csv), "--horizon", "1", "--out", str(out), "--country", "NL-XYZ"])
    assert code == 2 and "does not have subdivision XYZ" in output and not out.exists()


def test_weather_covariates_are_accepted(naive_csv: Path, tmp_path: Path) -> None:
    weather = tmp_path / "w.csv"
    stamps = pd.date_range("2025-01-06", "2025-01-27", freq="1h")
    pd.DataFrame({"timestamp": [s.isoformat() for s in stamps], "temperature_c": 5.0,
                  "precipitation_mm": 0.0}).to_csv(weather, index=False)
    code, output = run(["--counts", str(naive_csv), "--horizon", "4", "--out", str(tmp_path / "o.csv"),
                        "--weather", str(weather)])
    assert code == 0, output


@pytest.mark.parametrize("style", ["naive", "offset", "zulu"])
def test_fast_and_row_wise_readers_agree_across_dst(tmp_path: Path, style: str) -> None:
    """The column-wise reader must read a clean file exactly as the row-checking reader does,
    including both DST changes (the doubled autumn hour, the skipped spring hour)."""
    from zoneinfo import ZoneInfo

    from csm.forecast.io import _read_checking_each_row, _read_clean

    tz = ZoneInfo("Europe/Amsterdam")
    frame = pd.concat([synthetic_counts(days=3, zones=2, start="2025-03-29"),
                       synthetic_counts(days=3, zones=2, start="2025-10-25")], ignore_index=True)
    path = tmp_path / f"{style}.csv"
    if style == "naive":
        write_naive_csv(frame, path)
    else:
        stamps = frame["timestamp"].dt.tz_convert("UTC") if style == "zulu" else frame["timestamp"]
        text = stamps.map(lambda t: t.isoformat().replace("+00:00", "Z"))
        frame.assign(timestamp=text).to_csv(path, index=False)
    clean = _read_clean(path, tz)
    assert clean is not None
    fast, fast_style = clean
    slow, slow_style = _read_checking_each_row(path, tz)
    assert fast_style == slow_style
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), slow.reset_index(drop=True), check_dtype=False)
