"""Prometheus metrics, one registry per application instance (tests run several side by side)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ingested = Counter(
            "csm_observations_ingested_total", "Observations stored",
            ["site", "channel"], registry=self.registry,
        )
        self.duplicates = Counter(
            "csm_observations_duplicate_total", "Observations already stored (re-sent), not counted again",
            ["site", "channel"], registry=self.registry,
        )
        self.rejected = Counter(
            "csm_observations_rejected_total", "Input items refused, by reason",
            ["site", "channel", "reason"], registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "csm_ingest_batch_seconds", "Time to validate and store one batch",
            ["channel"], registry=self.registry,
        )
        self.source_age = Gauge(
            "csm_source_age_seconds", "Age of the newest data of each sensor or source",
            ["site", "source"], registry=self.registry,
        )
        self.source_stale = Gauge(
            "csm_source_stale", "1 when a sensor or source is stale",
            ["site", "source"], registry=self.registry,
        )
        self.zone_level = Gauge(
            "csm_zone_level", "Zone level rank: -1 unknown, 0 green, 1 yellow, 2 orange, 3 red",
            ["site", "zone"], registry=self.registry,
        )
        self.zone_occupancy = Gauge(
            "csm_zone_occupancy", "Estimated persons in a zone", ["site", "zone"],
            registry=self.registry,
        )
        self.source_polls = Counter(
            "csm_source_polls_total", "Source polls by outcome (ok, fetch_error, parse_error)",
            ["site", "source", "outcome"], registry=self.registry,
        )
        self.source_failing = Gauge(
            "csm_source_failing", "1 when a source's last poll failed", ["site", "source"],
            registry=self.registry,
        )
        self.job_last_success = Gauge(
            "csm_job_last_success_timestamp_seconds", "When a background job last completed a round (0: never)",
            ["job"], registry=self.registry,
        )
        self.job_last_error = Gauge(
            "csm_job_last_error_timestamp_seconds", "When a background job last failed (0: never)",
            ["job"], registry=self.registry,
        )
        self.job_errors = Gauge("csm_job_errors", "Failures of a background job since it started", ["job"],
                                registry=self.registry)
        self.job_restarts = Gauge("csm_job_restarts", "Restarts of a background job after it crashed", ["job"],
                                  registry=self.registry)
        self.job_failing = Gauge("csm_job_failing", "1 when a job's newest outcome is a failure", ["job"],
                                 registry=self.registry)
        # The same counts summed over every process that shares the store (csm.ingest.totals),
        # set at each scrape, so any worker answers the deployment's totals.
        self.deployment_ingested = Gauge(
            "csm_deployment_observations_ingested", "Observations stored, summed over every worker",
            ["site", "channel"], registry=self.registry,
        )
        self.deployment_duplicates = Gauge(
            "csm_deployment_observations_duplicate", "Observations re-sent, summed over every worker",
            ["site", "channel"], registry=self.registry,
        )
        self.deployment_rejected = Gauge(
            "csm_deployment_observations_rejected", "Input items refused, by reason, summed over every worker",
            ["site", "channel", "reason"], registry=self.registry,
        )
        self.stream_clients = Gauge(
            "csm_stream_clients", "Connected live-stream clients", ["site"], registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
