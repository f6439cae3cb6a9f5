-- The schema as it was before numbered migrations (release d33af52), so older files upgrade in place.
CREATE TABLE IF NOT EXISTS observations (
    site_id VARCHAR NOT NULL,
    sensor_id VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    interval_start TIMESTAMP NOT NULL,
    interval_seconds INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (site_id, sensor_id, interval_start, metric)
);
CREATE SEQUENCE IF NOT EXISTS dead_letter_ids;
CREATE TABLE IF NOT EXISTS dead_letters (
    id BIGINT PRIMARY KEY DEFAULT nextval('dead_letter_ids'),
    site_id VARCHAR,
    channel VARCHAR NOT NULL,
    received_at TIMESTAMP NOT NULL,
    reason VARCHAR NOT NULL,
    field VARCHAR,
    detail VARCHAR NOT NULL,
    payload VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS zone_history (
    site_id VARCHAR NOT NULL,
    zone_id VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    occupancy DOUBLE,
    density DOUBLE,
    level VARCHAR NOT NULL,
    stale BOOLEAN NOT NULL,
    PRIMARY KEY (site_id, zone_id, ts)
);
CREATE SEQUENCE IF NOT EXISTS event_ids;
CREATE TABLE IF NOT EXISTS events (
    id BIGINT PRIMARY KEY DEFAULT nextval('event_ids'),
    site_id VARCHAR NOT NULL,
    stream VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    payload VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS forecasts (
    site_id VARCHAR NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    zone_id VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    p10 DOUBLE NOT NULL,
    p50 DOUBLE NOT NULL,
    p90 DOUBLE NOT NULL,
    PRIMARY KEY (site_id, issued_at, zone_id, ts)
);
