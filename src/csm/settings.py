"""One settings object for a serving process, read once from the environment (prefix CSM_) and
passed down: the CLI fills it from its options, worker processes from their environment.

Secrets (CSM_SECRET_KEY, CSM_METRICS_TOKEN, CSM_OIDC_CLIENT_SECRET, each also as NAME_FILE) are
read by `csm.auth.secrets` when needed and never kept here, so they cannot end up in a log or
a worker's command line.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STORE = "duckdb:var/csm.duckdb"


class OidcSettings(BaseSettings):
    """Single sign-on through an OpenID Connect provider (docs/deployment.md); off without issuer."""

    model_config = SettingsConfigDict(env_prefix="CSM_OIDC_", extra="ignore")

    issuer: str | None = None
    client_id: str | None = None
    redirect_url: str | None = None
    role_claim: str = "csm_role"
    sites_claim: str = "csm_sites"
    username_claim: str = "email"


class Settings(BaseSettings):
    """What a serving process is: its sites, store, bus and brokers, and a few deployment knobs."""

    model_config = SettingsConfigDict(env_prefix="CSM_", extra="ignore")

    sites: str = Field("", description="site folders, joined by the OS path separator (':' on Linux)")
    store: str = Field(DEFAULT_STORE, description="duckdb:PATH or postgresql://...")
    bus: str | None = Field(None, description="local, or redis://HOST:PORT/DB[?namespace=NS]")
    mqtt: str | None = Field(None, description="also ingest from this broker, mqtt://HOST:PORT")
    map_origins: str = Field("", description="extra origins for map tiles, space-separated")
    demo_password: str = Field("scheveningen-demo", description="password of the demo's operator account")
    oidc: OidcSettings = Field(default_factory=OidcSettings)

    @property
    def site_folders(self) -> list[Path]:
        return [Path(p) for p in self.sites.split(os.pathsep) if p]

    @property
    def map_origin_list(self) -> list[str]:
        return self.map_origins.split()

    def for_workers(self) -> dict[str, str]:
        """These settings as CSM_ variables, for the environment of worker processes we start."""
        env = {"CSM_SITES": self.sites, "CSM_STORE": self.store, "CSM_MAP_ORIGINS": self.map_origins,
               "CSM_DEMO_PASSWORD": self.demo_password}
        if self.bus:
            env["CSM_BUS"] = self.bus
        if self.mqtt:
            env["CSM_MQTT"] = self.mqtt
        return env


def join_sites(folders: list[Path]) -> str:
    return os.pathsep.join(str(folder.resolve()) for folder in folders)


def prefer_passive_openmp() -> None:
    """LightGBM's OpenMP threads spin while waiting by default; on a busy two-core server (ingest,
    API and forecasts side by side) spinning threads starve each other and training slows tenfold.
    Passive waiting must be chosen before the OpenMP runtime loads: entry points call this first
    (the `csm` command, the worker factory, benchmarks); importing a package sets nothing."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
