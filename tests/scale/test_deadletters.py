"""Dead letters: list with filters and replay after a fix, through the CLI and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from csm.api.app import create_app
from csm.cli import app as cli
from csm.runtime import Runtime, build_runtime
from tests.conftest import AuthedClient
from tests.test_ingest_http import item


def reading(sensor: str, minutes_ago: int, value: float) -> dict[str, Any]:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago)
    return {"sensor_id": sensor, "interval_start": start.isoformat(), "interval_seconds": 60,
            "counts": {"occupancy": value}}


def add_sensor(folder: Path, sensor_id: str) -> None:
    config = yaml.safe_load((folder / "site.yaml").read_text(encoding="utf-8"))
    config["sensors"].append({"id": sensor_id, "kind": "area_counter", "zone": "plein", "interval_seconds": 60})
    (folder / "site.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def test_cli_lists_by_reason_and_replays_after_the_site_is_fixed(tiny_site_dir: Path, tmp_path: Path) -> None:
    store = f"duckdb:{tmp_path / 'dl.duckdb'}"
    runtime = build_runtime([tiny_site_dir], store)
    report = runtime.sites["tiny"].ingest.ingest_items(
        [reading("cam-new", 3, 40), reading("cam-new", 4, 41), reading("cam-a", 3, -5)], "mqtt"
    )
    runtime.close()
    assert len(report.rejected) == 3
    runner = CliRunner()

    listed = runner.invoke(cli, ["deadletters", "list", "--store", store, "--reason", "unknown_sensor"])
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert len(rows) == 2 and {r[4] for r in rows} == {"unknown_sensor"} and {r[3] for r in rows} == {"mqtt"}

    add_sensor(tiny_site_dir, "cam-new")  # the fix: the sensor was missing from site.yaml
    replayed = runner.invoke(cli, ["deadletters", "replay", "--site", str(tiny_site_dir), "--store", store, "--all"])
    assert replayed.exit_code == 0, replayed.output
    assert "2 of 3 replayed" in replayed.stdout
    assert "still_refused negative_count" in replayed.stdout

    left = runner.invoke(cli, ["deadletters", "list", "--store", store, "--json"])
    (remaining,) = [line for line in left.stdout.splitlines() if line.startswith("{")]
    assert '"reason": "negative_count"' in remaining
    letter_id = remaining.split('"id": ')[1].split(",")[0]
    again = runner.invoke(cli, ["deadletters", "replay", "--site", str(tiny_site_dir), "--store", store,
                                "--id", letter_id])
    assert again.exit_code == 1 and "0 of 1 replayed" in again.stdout

    check = build_runtime([tiny_site_dir], store)
    try:
        assert check.store.count_observations("tiny") == 2
        assert [d.reason for d in check.store.list_dead_letters()] == ["negative_count"]
    finally:
        check.close()


def test_api_replays_by_id_once_the_reading_is_valid(tiny_runtime: Runtime) -> None:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as raw:
        client = AuthedClient(raw, tiny_runtime)
        # Sent by a gateway whose clock ran 10 minutes fast: refused as being in the future.
        early = {**item("cam-a", 0, occupancy=77), "interval_start": (tiny_runtime.clock.now()
                 + timedelta(minutes=10)).isoformat()}
        client.post("/api/v1/observations", json=[early, item("cam-a", 5, occupancy=-1)])
        letters = client.get("/api/v1/deadletters", params={"reason": "timestamp_in_future"}).json()  # type: ignore[attr-defined]
        assert [d["reason"] for d in letters] == ["timestamp_in_future"]
        refused = client.post("/api/v1/deadletters/replay", json={"ids": [letters[0]["id"]]}).json()  # type: ignore[attr-defined]
        assert refused["replayed"] == 0 and refused["outcomes"][0]["status"] == "still_refused"

        tiny_runtime.clock.advance(minutes=15)  # type: ignore[attr-defined]
        answer = client.post("/api/v1/deadletters/replay", json={"ids": [letters[0]["id"]]}).json()  # type: ignore[attr-defined]
        assert answer["replayed"] == 1 and answer["outcomes"][0]["accepted"] == 1
        assert client.get("/api/v1/deadletters", params={"reason": "timestamp_in_future"}).json() == []  # type: ignore[attr-defined]
        remaining = client.get("/api/v1/deadletters").json()  # type: ignore[attr-defined]
        assert [d["reason"] for d in remaining] == ["negative_count"]
        assert tiny_runtime.store.count_observations("tiny") == 1
        bad = client.post("/api/v1/deadletters/replay", json={"ids": [1], "all": True})  # type: ignore[attr-defined]
        assert bad.status_code == 422  # type: ignore[attr-defined]
