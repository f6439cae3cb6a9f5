"""The deployment's ingest totals: every process's ingest counters (observations stored, re-sent,
refused), written to the store so that `/metrics` of any worker shows the same sums.

Prometheus counters are per process, as Prometheus expects (a scrape of each worker, summed by
the server). A scrape of one worker behind a load balancer would see only that worker's counts;
so each process also writes its counters to `shared_state` (kind "ingest_totals", one entry per
process), at most once a second while they change and at every scrape, and `/metrics` sums the
entries as `csm_deployment_observations_*` gauges. Counts only: nothing about an observation.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections import defaultdict

from prometheus_client import Counter

from csm.clock import Clock
from csm.metrics import Metrics
from csm.store.base import Store

log = logging.getLogger(__name__)
KIND = "ingest_totals"
ALL_SITES = "*"
FLUSH_SECONDS = 1.0
Snapshot = dict[str, dict[str, float]]  # counter name → JSON list of label values → count
Totals = dict[str, dict[tuple[str, ...], float]]


def _counters(metrics: Metrics) -> dict[str, Counter]:
    return {"ingested": metrics.ingested, "duplicates": metrics.duplicates, "rejected": metrics.rejected}


def counter_snapshot(metrics: Metrics) -> Snapshot:
    """This process's ingest counters by label values (JSON lists, safe for any label text)."""
    snapshot: Snapshot = {}
    for name, counter in _counters(metrics).items():
        values: dict[str, float] = {}
        for family in counter.collect():
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    values[json.dumps([sample.labels[label] for label in counter._labelnames])] = sample.value
        snapshot[name] = values
    return snapshot


class IngestTotals:
    """Writes this process's counters to the store when they changed: on `flush`, and from a
    background thread (`start`) when several processes share the store."""

    def __init__(self, store: Store, metrics: Metrics, clock: Clock, key: str | None = None) -> None:
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.key = key or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._written: Snapshot | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def flush(self) -> None:
        with self._lock:
            snapshot = counter_snapshot(self.metrics)
            if snapshot == self._written:
                return
            self.store.put_state(ALL_SITES, KIND, self.key, {"counters": snapshot}, self.clock.now())
            self._written = snapshot

    def start(self, every: float = FLUSH_SECONDS) -> None:
        def loop() -> None:
            while not self._stop.wait(every):
                try:
                    self.flush()
                except Exception as exc:  # the store is away: the next round writes it
                    log.warning("writing the ingest totals failed (%s)", type(exc).__name__)

        self._thread = threading.Thread(target=loop, name="ingest-totals", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and write the last counts (best effort: the store may be gone)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception as exc:
            log.warning("writing the last ingest totals failed (%s)", type(exc).__name__)


def deployment_totals(store: Store) -> Totals:
    """The sums over every process's last written counters."""
    totals: Totals = {"ingested": defaultdict(float), "duplicates": defaultdict(float), "rejected": defaultdict(float)}
    for entry in store.read_state(ALL_SITES, KIND):
        counters = entry.payload.get("counters")
        if not isinstance(counters, dict):
            continue
        for name, values in counters.items():
            if name in totals and isinstance(values, dict):
                for labels, value in values.items():
                    totals[name][tuple(json.loads(labels))] += float(value)
    return {name: dict(values) for name, values in totals.items()}
