"""Who is asking: a user (by session or bearer token) or a sensor/source with an ingest token."""

from __future__ import annotations

from dataclasses import dataclass, field

from csm.auth.roles import Permission, Role, permissions_of


@dataclass(frozen=True, slots=True)
class Principal:
    """A user or an ingest client, with the sites (and, for organisers, zones) it may see."""

    name: str
    role: Role | None
    sites: frozenset[str]  # "*" = every site
    zones: dict[str, frozenset[str]] = field(default_factory=dict)  # site → zones; absent = all
    sensors: frozenset[str] | None = None  # ingest tokens: the sensors it may write
    kind: str = "user"  # user | ingest | metrics
    auth_method: str = "session"

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.kind == "ingest":
            return frozenset({Permission.INGEST})
        if self.kind == "metrics":
            return frozenset({Permission.VIEW_METRICS})
        return permissions_of(self.role) if self.role else frozenset()

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def may_see_site(self, site_id: str) -> bool:
        return "*" in self.sites or site_id in self.sites

    def visible_zones(self, site_id: str, all_zones: list[str]) -> list[str]:
        """Organisers see the zones of their event only; other roles every zone of their sites."""
        if not self.may_see_site(site_id):
            return []
        limit = self.zones.get(site_id)
        return [z for z in all_zones if limit is None or z in limit]
