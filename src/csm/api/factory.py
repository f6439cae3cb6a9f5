"""The app factory for uvicorn worker processes (`csm serve --workers N`).

Each worker is its own process, so it builds its own Runtime from its settings, read once from
the environment `csm serve` gave the worker processes: CSM_SITES (folders joined by the path
separator), CSM_STORE, CSM_BUS, CSM_MQTT (see csm.settings.Settings).
"""

from __future__ import annotations

from fastapi import FastAPI

from csm.api.app import create_app
from csm.runtime import build_runtime
from csm.settings import Settings, prefer_passive_openmp


def app_from_env() -> FastAPI:
    prefer_passive_openmp()
    settings = Settings()
    if not settings.site_folders:
        raise RuntimeError("CSM_SITES names no site folder")
    runtime = build_runtime(settings.site_folders, settings.store, bus_url=settings.bus, settings=settings)
    if settings.mqtt:
        from csm.ingest.mqtt import consumer_job

        runtime.jobs.append(consumer_job(settings.mqtt))
    return create_app(runtime, close_runtime=True, server_process=True)
