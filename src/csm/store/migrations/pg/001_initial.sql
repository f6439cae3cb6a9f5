-- Observations are range-partitioned by month of interval_start (UTC): years of 1-minute counts
-- for thousands of sensors stay in month-sized tables that can be vacuumed, backed up or dropped
-- one by one. The primary key is the idempotency key and doubles as the (site, sensor, time) index.
CREATE TABLE observations (
    site_id TEXT NOT NULL,
    sensor_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    interval_start TIMESTAMPTZ NOT NULL,
    interval_seconds INTEGER NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (site_id, sensor_id, interval_start, metric)
) PARTITION BY RANGE (interval_start);

-- Rows of a month without its partition land here; creating that partition moves them out.
CREATE TABLE observations_default PARTITION OF observations DEFAULT;

-- Every (site, sensor, metric) ever written: lets "latest value per series" probe the primary key
-- once per series instead of scanning a site's whole history.
CREATE TABLE observation_series (
    site_id TEXT NOT NULL,
    sensor_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    PRIMARY KEY (site_id, sensor_id, metric)
);

CREATE TABLE dead_letters (
    id BIGSERIAL PRIMARY KEY,
    site_id TEXT,
    channel TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL,
    field TEXT,
    detail TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX dead_letters_site_idx ON dead_letters (site_id, id);

CREATE TABLE zone_history (
    site_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    occupancy DOUBLE PRECISION,
    density DOUBLE PRECISION,
    level TEXT NOT NULL,
    stale BOOLEAN NOT NULL,
    PRIMARY KEY (site_id, zone_id, ts)
);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    site_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    payload JSONB NOT NULL
);
CREATE INDEX events_stream_idx ON events (stream, id);

CREATE TABLE forecasts (
    site_id TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    zone_id TEXT NOT NULL,
    ts TIMESTAMPTZ NOT NULL,
    p10 DOUBLE PRECISION NOT NULL,
    p50 DOUBLE PRECISION NOT NULL,
    p90 DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (site_id, issued_at, zone_id, ts)
);
