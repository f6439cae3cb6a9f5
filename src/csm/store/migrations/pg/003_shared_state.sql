-- What every API worker must answer alike (source status, training sessions, job health) and that
-- used to live in one process's memory: one row per (site, kind, key), replaced on each update.
CREATE TABLE shared_state (
    site_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    payload JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (site_id, kind, key)
);
