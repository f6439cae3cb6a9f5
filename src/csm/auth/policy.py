"""The access policy: which permission each route needs. Deny by default.

Rules match the route's path template and method; the first match wins. A route no rule matches
is refused for everyone, so a new endpoint is closed until someone decides who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache

from csm.auth.roles import Permission

PUBLIC = None  # marker: no login needed


@dataclass(frozen=True, slots=True)
class Rule:
    methods: frozenset[str]
    pattern: str  # fnmatch over the route's path template
    permission: Permission | None  # None = public (unless authenticated_only: any logged-in user)
    audited: bool = False
    authenticated_only: bool = False


def _r(methods: str, pattern: str, permission: Permission | None, audited: bool = False) -> Rule:
    return Rule(frozenset(methods.split()), pattern, permission, audited)


RULES: tuple[Rule, ...] = (
    _r("GET", "/healthz", PUBLIC),
    _r("GET", "/readyz", PUBLIC),
    _r("GET", "/login", PUBLIC),
    _r("GET", "/login.css", PUBLIC),
    _r("POST", "/api/v1/auth/login", PUBLIC),
    _r("GET", "/api/v1/auth/oidc/*", PUBLIC),
    _r("GET", "/api/v1/time", PUBLIC),
    Rule(frozenset({"GET", "POST"}), "/api/v1/auth/me", None, authenticated_only=True),
    Rule(frozenset({"POST"}), "/api/v1/auth/logout", None, authenticated_only=True),
    _r("POST", "/api/v1/auth/stream-ticket", Permission.VIEW_PICTURE),
    _r("GET", "/metrics", Permission.VIEW_METRICS),
    _r("POST", "/api/v1/observations", Permission.INGEST),
    _r("GET POST DELETE", "/api/v1/deadletters*", Permission.MANAGE_DEAD_LETTERS, audited=True),
    _r("GET POST PATCH DELETE", "/api/v1/users*", Permission.MANAGE_USERS, audited=True),
    _r("POST", "/api/v1/tokens*", Permission.MANAGE_USERS, audited=True),
    _r("GET", "/api/v1/audit*", Permission.VIEW_AUDIT, audited=True),
    _r("GET", "/api/v1/sites/{site_id}/alerts*", Permission.VIEW_ALERTS, audited=True),
    # Routes narrow this further: resolving needs handle_alerts; organisers only their own measures.
    _r("POST", "/api/v1/sites/{site_id}/alerts/*", Permission.HANDLE_OWN_MEASURES, audited=True),
    _r("GET", "/api/v1/sites/{site_id}/incidents*", Permission.VIEW_ALERTS, audited=True),
    _r("GET", "/api/v1/sites/{site_id}/advice*", Permission.VIEW_ALERTS, audited=True),
    _r("GET", "/api/v1/sites/{site_id}/routes*", Permission.VIEW_ALERTS),
    _r("GET POST", "/api/v1/sites/{site_id}/scenarios*", Permission.RUN_SCENARIOS, audited=True),
    _r("GET POST", "/api/v1/sites/{site_id}/simulations*", Permission.RUN_SCENARIOS),
    _r("GET POST DELETE", "/api/v1/training*", Permission.TRAINING),
    _r("GET", "/api/v1/sites/{site_id}/export*", Permission.EXPORT, audited=True),
    _r("GET", "/api/v1/sites/{site_id}/zones/state", Permission.VIEW_PICTURE, audited=True),
    _r("GET", "/api/v1/sites/{site_id}/zones/history", Permission.VIEW_PICTURE, audited=True),
    _r("GET", "/api/v1/sites/{site_id}/zones/forecast", Permission.VIEW_PICTURE, audited=True),
    _r("GET", "/api/v1/sites/{site_id}/zones/stream", Permission.VIEW_PICTURE, audited=True),
    _r("GET", "/api/v1/sites/{site_id}*", Permission.VIEW_PICTURE),
    _r("GET", "/api/v1/sites", Permission.VIEW_PICTURE),
)


@lru_cache(maxsize=4096)  # asked on every request; route templates are few, other paths bounded here
def rule_for(method: str, path_template: str) -> Rule | None:
    for rule in RULES:
        if method in rule.methods and fnmatchcase(path_template, rule.pattern):
            return rule
    return None
