-- What every API worker must answer alike (source status, training sessions, job health) and that
-- used to live in one process's memory: one row per (site, kind, key), replaced on each update.
CREATE TABLE IF NOT EXISTS shared_state (
    site_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    payload VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (site_id, kind, key)
);
