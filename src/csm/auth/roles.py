"""Roles and what each may do. Scopes (sites, zones) limit where.

Small counts (below the site's k) are a privacy risk in thin areas at quiet hours; only roles
with `view_small_counts` see them unsuppressed.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    MUNICIPALITY = "municipality"
    POLICE = "police"
    EMERGENCY_SERVICES = "emergency_services"
    EVENT_ORGANISER = "event_organiser"
    VIEWER = "viewer"


class Permission(StrEnum):
    VIEW_PICTURE = "view_picture"  # zones, live state, history, forecast, sources
    VIEW_SMALL_COUNTS = "view_small_counts"
    VIEW_ALERTS = "view_alerts"
    HANDLE_ALERTS = "handle_alerts"  # acknowledge, measure taken, resolve
    # Acknowledge alerts and record the measures one's own organisation owns (organisers), in scope.
    HANDLE_OWN_MEASURES = "handle_own_measures"
    RUN_SCENARIOS = "run_scenarios"
    TRAINING = "training"  # join training sessions as a trainee: see the sandbox, handle its alerts
    RUN_TRAINING = "run_training"  # trainer: start, steer (pause, speed, jump) and end sessions, inject, debrief
    EXPORT = "export"
    INGEST = "ingest"  # sensors and sources, with signed ingest tokens
    MANAGE_DEAD_LETTERS = "manage_dead_letters"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    VIEW_METRICS = "view_metrics"


_OPERATIONS = {
    Permission.VIEW_PICTURE, Permission.VIEW_ALERTS, Permission.HANDLE_ALERTS, Permission.HANDLE_OWN_MEASURES,
    Permission.RUN_SCENARIOS, Permission.TRAINING, Permission.RUN_TRAINING, Permission.EXPORT,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(Permission) - {Permission.INGEST},
    Role.MUNICIPALITY: frozenset(_OPERATIONS | {Permission.VIEW_SMALL_COUNTS}),
    Role.POLICE: frozenset(_OPERATIONS | {Permission.VIEW_SMALL_COUNTS}),
    Role.EMERGENCY_SERVICES: frozenset(
        {Permission.VIEW_PICTURE, Permission.VIEW_ALERTS, Permission.HANDLE_ALERTS, Permission.HANDLE_OWN_MEASURES,
         Permission.TRAINING}
    ),
    Role.EVENT_ORGANISER: frozenset({Permission.VIEW_PICTURE, Permission.VIEW_ALERTS, Permission.HANDLE_OWN_MEASURES}),
    Role.VIEWER: frozenset({Permission.VIEW_PICTURE}),
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
