"""The app factory for uvicorn worker processes (`csm serve --workers N`).

Each worker is its own process, so it builds its own Runtime from the environment that
`csm serve` sets: CSM_SITES (folders joined by the path separator), CSM_STORE, CSM_BUS, CSM_MQTT.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from csm.api.app import create_app
from csm.runtime import build_runtime

ENV_SITES = "CSM_SITES"
ENV_STORE = "CSM_STORE"
ENV_BUS = "CSM_BUS"
ENV_MQTT = "CSM_MQTT"


def worker_environment(sites: list[Path], store: str, bus: str | None, mqtt: str | None) -> dict[str, str]:
    """What `app_from_env` reads, as environment variables."""
    env = {ENV_SITES: os.pathsep.join(str(s.resolve()) for s in sites), ENV_STORE: store}
    if bus:
        env[ENV_BUS] = bus
    if mqtt:
        env[ENV_MQTT] = mqtt
    return env


def app_from_env() -> FastAPI:
    folders = [Path(p) for p in os.environ.get(ENV_SITES, "").split(os.pathsep) if p]
    if not folders:
        raise RuntimeError(f"{ENV_SITES} names no site folder")
    runtime = build_runtime(
        folders, os.environ.get(ENV_STORE, "duckdb:var/csm.duckdb"), bus_url=os.environ.get(ENV_BUS)
    )
    mqtt = os.environ.get(ENV_MQTT)
    if mqtt:
        from csm.ingest.mqtt import consumer_job

        runtime.jobs.append(consumer_job(mqtt))
    return create_app(runtime, close_runtime=True)
