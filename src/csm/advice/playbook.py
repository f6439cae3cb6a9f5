"""The playbook: per level and zone (or zone group) the agreed measures, who owns them and how
much lead time each needs; plus the settings of the advice engine and its notifications.

Validated here (pydantic) and registered as a site.yaml section validator, so `csm site validate`
reports playbook problems with their path, e.g. `playbook.measures[3].lead_time_minutes`.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from csm.advice.hysteresis import HysteresisSettings
from csm.domain.model import Level
from csm.site.loader import SITE_FILE, SiteProblem, pydantic_problems
from csm.site.model import Site

_ID = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
ALL_ZONES = "*"
Owner = Literal["municipality", "police", "transport_operator", "organiser", "emergency_services"]
AlertLevel = Literal["yellow", "orange", "red"]


def _all_alert_levels() -> list[AlertLevel]:
    return ["yellow", "orange", "red"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeasureSchema(_Strict):
    """One measure of the agreed package for a level."""

    id: str = Field(pattern=_ID)
    level: AlertLevel
    zones: list[str] = Field(min_length=1, description="zone ids, zone groups, or '*' for every zone")
    measure: str = Field(min_length=3)
    owner: Owner
    lead_time_minutes: int = Field(ge=0, le=24 * 60, description="minutes needed before it takes effect")
    where: str | None = Field(None, description="the place the measure applies to, for the message")


class WebhookSchema(_Strict):
    url: str = Field(pattern=r"^https?://[^\s]+$")
    secret_env: str = Field(
        pattern=r"^CSM_WEBHOOK_SECRET_[A-Z0-9_]+$",
        description="name of the environment variable holding the signing secret",
    )
    levels: list[AlertLevel] = Field(default_factory=_all_alert_levels)
    max_attempts: int = Field(5, ge=1, le=10)

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "secret" in data:
            raise ValueError("never put a secret in site.yaml: name an environment variable in secret_env")
        return data


class QuietHoursSchema(_Strict):
    """Local times between which webhooks only go out from `min_level` up (the dashboard shows all)."""

    start: time
    end: time
    min_level: AlertLevel = "red"


class NotificationsSchema(_Strict):
    webhooks: list[WebhookSchema] = Field(default_factory=list)
    quiet_hours: QuietHoursSchema | None = None
    dedup_minutes: float = Field(
        30, ge=0, description="an alert for the same zone, level and kind is not raised again so soon"
    )


class SettingsSchema(_Strict):
    min_probability: float = Field(0.3, gt=0, le=1, description="least P(crossing) that counts")
    horizon_hours: float = Field(6, gt=0, le=48)
    upcoming_minutes: float = Field(30, ge=0, description="also show measures due within this")
    hysteresis_band: float = Field(0.1, ge=0, lt=1)
    up_dwell_minutes: float = Field(2, ge=0)
    down_dwell_minutes: float = Field(10, ge=0)
    predicted_alert_level: AlertLevel = Field(
        "orange", description="predicted crossings raise alerts from this level up (advice covers all)"
    )


class AlternativesSchema(_Strict):
    max_distance_m: float = Field(1500, gt=0)
    max_utilisation: float = Field(0.6, gt=0, le=1, description="of the orange threshold, expected")
    exclude_kinds: list[str] = Field(
        default_factory=lambda: ["tram_stop", "beach_entrance"],
        description="zone kinds one cannot send visitors to (transit points)",
    )


class PlaybookSchema(_Strict):
    settings: SettingsSchema = SettingsSchema()
    measures: list[MeasureSchema] = Field(default_factory=list)
    notifications: NotificationsSchema = NotificationsSchema()
    alternatives: AlternativesSchema = AlternativesSchema()

    def hysteresis(self) -> HysteresisSettings:
        s = self.settings
        return HysteresisSettings(
            band=s.hysteresis_band,
            up_dwell=timedelta(minutes=s.up_dwell_minutes),
            down_dwell=timedelta(minutes=s.down_dwell_minutes),
        )


def zones_of(refs: list[str], site: Site) -> set[str]:
    """Zone ids named by a list of ids, groups and '*'."""
    found: set[str] = set()
    for ref in refs:
        if ref == ALL_ZONES:
            return set(site.zones)
        if ref in site.zones:
            found.add(ref)
        found |= {z.id for z in site.zones.values() if z.group == ref}
    return found


def measures_for(playbook: PlaybookSchema, site: Site, zone_id: str, level: Level) -> list[MeasureSchema]:
    return [
        m for m in playbook.measures if m.level == level.value and zone_id in zones_of(m.zones, site)
    ]


def playbook_problems(raw: Any, site: Site) -> tuple[PlaybookSchema | None, list[SiteProblem]]:
    """Parse the raw `playbook:` section; every problem with its path and what was expected."""
    if raw is None:
        return PlaybookSchema(), []
    if not isinstance(raw, dict):
        return None, [SiteProblem(SITE_FILE, "playbook", "expected a mapping with measures, settings, ...")]
    try:
        playbook = PlaybookSchema.model_validate(raw)
    except ValidationError as exc:
        return None, pydantic_problems(SITE_FILE, "playbook", exc)
    problems = []
    groups = sorted({z.group for z in site.zones.values() if z.group})
    seen: set[str] = set()
    for i, measure in enumerate(playbook.measures):
        if measure.id in seen:
            where = f"playbook.measures[{i}].id"
            problems.append(SiteProblem(SITE_FILE, where, f"duplicate measure id {measure.id!r}"))
        seen.add(measure.id)
        for j, ref in enumerate(measure.zones):
            if ref != ALL_ZONES and not zones_of([ref], site):
                problems.append(
                    SiteProblem(
                        SITE_FILE,
                        f"playbook.measures[{i}].zones[{j}]",
                        f"unknown zone or group {ref!r}; expected a zone id, one of the groups"
                        f" {groups} or '*'",
                    )
                )
    return (None, problems) if problems else (playbook, [])


def validate_playbook_section(site: Site) -> list[SiteProblem]:
    """SECTION_VALIDATORS entry: the playbook section of site.yaml."""
    return playbook_problems(site.config.playbook, site)[1]


def load_playbook(site: Site) -> PlaybookSchema:
    """The site's validated playbook (an empty one when the section is absent). Parsing is cheap
    (microseconds), so callers need no cache that could go stale after a site reload."""
    playbook, problems = playbook_problems(site.config.playbook, site)
    if playbook is None:
        raise ValueError("invalid playbook: " + "; ".join(str(p) for p in problems))
    return playbook
