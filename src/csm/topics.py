"""Names of the live-update bus topics, in one low module so that a publisher and its
subscribers agree without importing each other (ingest → picture → advice → API)."""

from __future__ import annotations

OBSERVATIONS_TOPIC = "observations"  # new observations of a site were stored
ZONES_TOPIC = "zones"  # a site's live picture changed
ALERTS_TOPIC = "alerts"  # an alert was raised, acknowledged or resolved
ADVICE_TOPIC = "advice"  # the ranked advice of a site changed
SOURCES_TOPIC = "sources"  # a covariate source stored new values
FEED_TOPIC = "sensor-feed"  # demo: simulated sensor messages on the in-process bus
