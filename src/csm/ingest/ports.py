"""What ingest workers (MQTT consumer, dead-letter replay, source sink) need of the wiring, as
protocols, so the ingest package never imports the runtime that is built on top of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from csm.clock import Clock
from csm.ingest.pipeline import IngestService
from csm.site.model import Site
from csm.store.base import Store


class IngestSite(Protocol):
    """One site and its ingest path (a `csm.context.SiteRuntime` is one)."""

    @property
    def site(self) -> Site: ...

    @property
    def ingest(self) -> IngestService: ...


class IngestTargets(Protocol):
    """The sites a worker ingests for, with the shared store and clock (a Runtime is one)."""

    @property
    def sites(self) -> Mapping[str, IngestSite]: ...

    @property
    def store(self) -> Store: ...

    @property
    def clock(self) -> Clock: ...
