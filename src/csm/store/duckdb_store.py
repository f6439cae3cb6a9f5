"""Embedded default store: one DuckDB file, one process, serialised by a lock."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from csm.domain.model import Observation
from csm.store.base import (
    FORECAST_COLUMNS,
    ZONE_HISTORY_COLUMNS,
    DeadLetter,
    LatestValue,
    LineBalance,
    SharedState,
    StoredEvent,
    WriteResult,
)
from csm.store.columns import ObservationColumns
from csm.store.migrations import apply_duckdb_migrations
from csm.store.timeutil import frame_to_naive_utc, frame_to_utc, from_naive_utc, to_naive_utc

_OBS_COLUMNS = [
    "site_id", "sensor_id", "metric", "interval_start", "interval_seconds", "value", "received_at"
]


class DuckDBStore:
    """DuckDB file store. `path` ':memory:' gives a throwaway store."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.url = f"duckdb:{self.path}"
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(self.path)
        self._lock = threading.RLock()
        with self._lock:
            self._con.execute("SET TimeZone = 'UTC'")
            apply_duckdb_migrations(self._con)
            # Dead letters have a connection and lock of their own: a flood of refusals never
            # waits for, or holds up, the lock that reads of observations and the picture need.
            self._dl_con = self._con.cursor()
            self._dl_con.execute("SET TimeZone = 'UTC'")
            # So do inserts of observations (issue 17): a picture refresh reading the store no
            # longer holds up an ingest batch, nor a batch the refresh; DuckDB isolates the two.
            # Writers of observations (inserts, the purge) are serialised by `_obs_lock`.
            self._obs_con = self._con.cursor()
            self._obs_con.execute("SET TimeZone = 'UTC'")
        self._dl_lock = threading.Lock()
        self._obs_lock = threading.Lock()

    # -- observations -------------------------------------------------------------------------
    def write_observations(
        self, observations: Sequence[Observation], received_at: datetime
    ) -> WriteResult:
        if not observations:
            return WriteResult(0, 0)
        received = to_naive_utc(received_at)
        if isinstance(observations, ObservationColumns):
            frame = _columns_table(observations, received)
        else:
            frame = _observations_table(observations, received)
        with self._obs_lock:
            self._obs_con.register("incoming_obs", frame)
            try:
                row = self._obs_con.execute(
                    "INSERT INTO observations SELECT * FROM incoming_obs ON CONFLICT DO NOTHING"
                ).fetchone()
            finally:
                self._obs_con.unregister("incoming_obs")
        inserted = int(row[0]) if row else 0
        return WriteResult(inserted=inserted, duplicates=len(observations) - inserted)

    def latest_values(
        self, site_id: str, as_of: datetime, sensor_ids: Sequence[str] | None = None
    ) -> list[LatestValue]:
        sql = """
            SELECT sensor_id, metric,
                   arg_max(interval_start, interval_start) AS start,
                   arg_max(interval_seconds, interval_start) AS secs,
                   arg_max(value, interval_start) AS value
            FROM observations
            WHERE site_id = ? AND interval_start + to_seconds(interval_seconds) <= ? {sensors}
            GROUP BY sensor_id, metric
        """
        params: list[Any] = [site_id, to_naive_utc(as_of)]
        sql = sql.format(sensors=_sensor_filter(sensor_ids, params))
        with self._lock:
            rows = self._con.execute(sql, params).fetchall()
        return [
            LatestValue(s, m, from_naive_utc(start), int(secs), float(v))
            for s, m, start, secs, v in rows
        ]

    def line_balances(
        self, site_id: str, since: datetime, as_of: datetime, leak_per_hour: float,
        sensor_ids: Sequence[str] | None = None,
    ) -> list[LineBalance]:
        keep = 1.0 - leak_per_hour
        sql = """
            SELECT sensor_id,
              sum(CASE WHEN metric = 'in' THEN value * pow(?, hours) ELSE 0 END) AS inflow,
              sum(CASE WHEN metric = 'out' THEN value * pow(?, hours) ELSE 0 END) AS outflow,
              max(interval_end) AS last_end
            FROM (
              SELECT sensor_id, metric, value,
                     interval_start + to_seconds(interval_seconds) AS interval_end,
                     epoch(? - (interval_start + to_seconds(interval_seconds))) / 3600.0 AS hours
              FROM observations
              WHERE site_id = ? AND metric IN ('in', 'out')
                AND interval_start >= ? AND interval_start + to_seconds(interval_seconds) <= ? {sensors}
            )
            GROUP BY sensor_id
        """
        as_of_n = to_naive_utc(as_of)
        params: list[Any] = [keep, keep, as_of_n, site_id, to_naive_utc(since), as_of_n]
        sql = sql.format(sensors=_sensor_filter(sensor_ids, params))
        with self._lock:
            rows = self._con.execute(sql, params).fetchall()
        return [
            LineBalance(s, float(i or 0), float(o or 0), from_naive_utc(e) if e else None)
            for s, i, o, e in rows
        ]

    def observations_frame(
        self, site_id: str, start: datetime, end: datetime, sensor_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        sql = (
            "SELECT sensor_id, metric, interval_start, interval_seconds, value, received_at "
            "FROM observations WHERE site_id = ? AND interval_start >= ? AND interval_start < ?"
        )
        params: list[object] = [site_id, to_naive_utc(start), to_naive_utc(end)]
        if sensor_ids is not None:
            sql += " AND list_contains(?, sensor_id)"
            params.append(list(sensor_ids))
        sql += " ORDER BY sensor_id, metric, interval_start"
        with self._lock:
            df = self._con.execute(sql, params).df()
        return frame_to_utc(df, "interval_start", "received_at")

    def count_observations(self, site_id: str | None = None) -> int:
        with self._lock:
            if site_id is None:
                row = self._con.execute("SELECT count(*) FROM observations").fetchone()
            else:
                row = self._con.execute(
                    "SELECT count(*) FROM observations WHERE site_id = ?", [site_id]
                ).fetchone()
        return int(row[0]) if row else 0

    def purge_observations(self, site_id: str, older_than: datetime) -> int:
        return _deleted(self._obs_lock, self._obs_con,
                        "DELETE FROM observations WHERE site_id = ? AND interval_start < ?",
                        [site_id, to_naive_utc(older_than)])

    # -- dead letters -------------------------------------------------------------------------
    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        frame = pd.DataFrame(
            {
                "site_id": pd.Series([d.site_id for d in letters], dtype="object"),
                "channel": [d.channel for d in letters],
                "received_at": [to_naive_utc(d.received_at) for d in letters],
                "reason": [d.reason for d in letters],
                "field": pd.Series([d.field for d in letters], dtype="object"),
                "detail": [d.detail for d in letters],
                "payload": [d.payload for d in letters],
            }
        )
        with self._dl_lock:
            self._dl_con.register("incoming_dead_letters", frame)
            try:
                self._dl_con.execute(
                    "INSERT INTO dead_letters (site_id, channel, received_at, reason, field, detail, payload)"
                    " SELECT site_id, channel, received_at, reason, field, detail, payload"
                    " FROM incoming_dead_letters"
                )
            finally:
                self._dl_con.unregister("incoming_dead_letters")

    def list_dead_letters(
        self, site_id: str | None = None, limit: int = 100, reason: str | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[DeadLetter]:
        sql = (
            "SELECT id, site_id, channel, received_at, reason, field, detail, payload "
            "FROM dead_letters"
        )
        conditions: list[str] = []
        params: list[object] = []
        if site_id is not None:
            conditions.append("site_id = ?")
            params.append(site_id)
        if reason is not None:
            conditions.append("reason = ?")
            params.append(reason)
        if ids is not None:
            conditions.append("id IN (" + ", ".join(["?"] * len(ids)) + ")" if ids else "FALSE")
            params.extend(int(i) for i in ids)
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        with self._dl_lock:
            rows = self._dl_con.execute(sql, params).fetchall()
        return [
            DeadLetter(
                id=int(i), site_id=s, channel=c, received_at=from_naive_utc(r), reason=reason,
                field=f, detail=d, payload=p,
            )
            for i, s, c, r, reason, f, d, p in rows
        ]

    def delete_dead_letters(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        return _deleted(self._dl_lock, self._dl_con, "DELETE FROM dead_letters WHERE list_contains(?, id)", [list(ids)])

    def purge_dead_letters(self, site_id: str, older_than: datetime) -> int:
        return _deleted(self._dl_lock, self._dl_con,
                        "DELETE FROM dead_letters WHERE site_id = ? AND received_at < ?",
                        [site_id, to_naive_utc(older_than)])

    # -- zone history and forecasts -----------------------------------------------------------
    def write_zone_history(self, site_id: str, rows: pd.DataFrame) -> int:
        if rows.empty:
            return 0
        frame = frame_to_naive_utc(rows[ZONE_HISTORY_COLUMNS], "ts")
        frame.insert(0, "site_id", site_id)
        with self._lock:
            self._con.register("incoming_zone_history", frame)
            try:
                self._con.execute(
                    "INSERT OR REPLACE INTO zone_history "
                    "SELECT site_id, zone_id, ts, occupancy, density, level, stale "
                    "FROM incoming_zone_history"
                )
            finally:
                self._con.unregister("incoming_zone_history")
        return len(frame)

    def zone_history(
        self, site_id: str, start: datetime, end: datetime, zone_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        sql = (
            "SELECT zone_id, ts, occupancy, density, level, stale FROM zone_history "
            "WHERE site_id = ? AND ts >= ? AND ts <= ?"
        )
        params: list[object] = [site_id, to_naive_utc(start), to_naive_utc(end)]
        if zone_ids is not None:
            sql += " AND list_contains(?, zone_id)"
            params.append(list(zone_ids))
        sql += " ORDER BY zone_id, ts"
        with self._lock:
            df = self._con.execute(sql, params).df()
        return frame_to_utc(df, "ts")

    def write_forecast(self, site_id: str, issued_at: datetime, rows: pd.DataFrame) -> int:
        if rows.empty:
            return 0
        frame = frame_to_naive_utc(rows[FORECAST_COLUMNS], "ts")
        frame.insert(0, "issued_at", to_naive_utc(issued_at))
        frame.insert(0, "site_id", site_id)
        with self._lock:
            self._con.register("incoming_forecast", frame)
            try:
                self._con.execute(
                    "INSERT OR REPLACE INTO forecasts "
                    "SELECT site_id, issued_at, zone_id, ts, p10, p50, p90 FROM incoming_forecast"
                )
            finally:
                self._con.unregister("incoming_forecast")
        return len(frame)

    def latest_forecast(self, site_id: str) -> tuple[datetime | None, pd.DataFrame]:
        with self._lock:
            row = self._con.execute(
                "SELECT max(issued_at) FROM forecasts WHERE site_id = ?", [site_id]
            ).fetchone()
            issued = row[0] if row else None
            if issued is None:
                return None, pd.DataFrame(columns=FORECAST_COLUMNS)
            df = self._con.execute(
                "SELECT zone_id, ts, p10, p50, p90 FROM forecasts "
                "WHERE site_id = ? AND issued_at = ? ORDER BY zone_id, ts",
                [site_id, issued],
            ).df()
        return from_naive_utc(issued), frame_to_utc(df, "ts")

    # -- append-only event log ----------------------------------------------------------------
    def append_event(
        self, site_id: str, stream: str, ts: datetime, payload: dict[str, Any]
    ) -> int:
        with self._lock:
            row = self._con.execute(
                "INSERT INTO events (site_id, stream, ts, payload) VALUES (?, ?, ?, ?) RETURNING id",
                [site_id, stream, to_naive_utc(ts), json.dumps(payload, default=str)],
            ).fetchone()
        assert row is not None
        return int(row[0])

    def read_events(
        self, site_id: str | None, stream: str, after_id: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        sql = "SELECT id, site_id, stream, ts, payload FROM events WHERE stream = ? AND id > ?"
        params: list[object] = [stream, after_id]
        if site_id is not None:
            sql += " AND site_id = ?"
            params.append(site_id)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._con.execute(sql, params).fetchall()
        return [
            StoredEvent(int(i), s, st, from_naive_utc(ts), json.loads(p)) for i, s, st, ts, p in rows
        ]

    # -- state every worker shares ------------------------------------------------------------
    def put_state(self, site_id: str, kind: str, key: str, payload: dict[str, Any], at: datetime) -> None:
        with self._lock:
            self._con.execute(
                "INSERT OR REPLACE INTO shared_state (site_id, kind, key, payload, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [site_id, kind, key, json.dumps(payload, default=str), to_naive_utc(at)],
            )

    def read_state(self, site_id: str | None, kind: str, key: str | None = None) -> list[SharedState]:
        sql = "SELECT site_id, kind, key, payload, updated_at FROM shared_state WHERE kind = ?"
        params: list[object] = [kind]
        if site_id is not None:
            sql += " AND site_id = ?"
            params.append(site_id)
        if key is not None:
            sql += " AND key = ?"
            params.append(key)
        sql += " ORDER BY site_id, key"
        with self._lock:
            rows = self._con.execute(sql, params).fetchall()
        return [SharedState(s, k, key_, json.loads(p), from_naive_utc(at)) for s, k, key_, p, at in rows]

    def delete_state(self, site_id: str, kind: str, key: str) -> bool:
        with self._lock:
            row = self._con.execute(
                "DELETE FROM shared_state WHERE site_id = ? AND kind = ? AND key = ?", [site_id, kind, key]
            ).fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        with self._obs_lock, self._lock, self._dl_lock:
            self._obs_con.close()
            self._dl_con.close()
            self._con.close()


def _sensor_filter(sensor_ids: Sequence[str] | None, params: list[Any]) -> str:
    """An `AND` clause limiting a query to these sensors (its parameter appended), or nothing."""
    if sensor_ids is None:
        return ""
    if not sensor_ids:
        return "AND FALSE"
    params.extend(sensor_ids)
    return f"AND sensor_id IN ({', '.join('?' * len(sensor_ids))})"


def _deleted(lock: threading.Lock, con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> int:
    """Run a DELETE on a writer's own cursor under its lock; how many rows it removed."""
    with lock:
        row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _columns_table(batch: ObservationColumns, received: datetime) -> pa.Table:
    """The validated columns as Arrow, as they are (only a batch with a repeated key is filtered:
    the first of a key wins)."""
    keep = batch.first_of_each_key()
    sensors, metrics, starts, seconds, values = (
        batch.sensor_ids, batch.metrics, batch.starts, batch.seconds, batch.values
    )
    if keep is not None:
        sensors, metrics, starts = [sensors[i] for i in keep], [metrics[i] for i in keep], [starts[i] for i in keep]
        seconds, values = [seconds[i] for i in keep], [values[i] for i in keep]
    rows = len(sensors)
    return pa.table(
        [pa.repeat(pa.scalar(batch.site_id, pa.string()), rows), pa.array(sensors, pa.string()),
         pa.array(metrics, pa.string()), _timestamps(starts), pa.array(seconds, pa.int32()),
         pa.array(values, pa.float64()), pa.repeat(pa.scalar(received, pa.timestamp("us")), rows)],
        names=_OBS_COLUMNS,
    )


def _observations_table(observations: Sequence[Observation], received: datetime) -> pa.Table:
    """Observations of any sites as Arrow columns built in one pass, keyed on naive UTC (hashing
    aware datetimes asks their zone for an offset every time); the first of a key wins."""
    seen: set[tuple[str, str, datetime, str]] = set()
    sites: list[str] = []
    sensors: list[str] = []
    metrics: list[str] = []
    starts: list[datetime] = []
    seconds: list[int] = []
    values: list[float] = []
    for o in observations:
        start = o.interval_start
        naive = start.replace(tzinfo=None) if start.tzinfo is UTC else to_naive_utc(start)
        key = (o.site_id, o.sensor_id, naive, o.metric)
        if key in seen:
            continue
        seen.add(key)
        sites.append(o.site_id)
        sensors.append(o.sensor_id)
        metrics.append(o.metric)
        starts.append(naive)
        seconds.append(o.interval_seconds)
        values.append(float(o.value))
    return pa.table(
        [pa.array(sites, pa.string()), pa.array(sensors, pa.string()), pa.array(metrics, pa.string()),
         _timestamps(starts), pa.array(seconds, pa.int32()), pa.array(values, pa.float64()),
         pa.repeat(pa.scalar(received, pa.timestamp("us")), len(starts))],
        names=_OBS_COLUMNS,
    )


_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def _timestamps(naive_utc: list[datetime]) -> pa.Array:
    """Arrow timestamps of naive-UTC datetimes, each distinct value converted once: Arrow converts
    datetime objects one by one (25 ms for 10,000), and a batch holds a few distinct minutes."""
    micros = {moment: (moment - _EPOCH) // _MICROSECOND for moment in set(naive_utc)}
    return pa.array([micros[moment] for moment in naive_utc], pa.int64()).cast(pa.timestamp("us"))
