"""Who owns a measure, in words an operator reads, and which owner a role acts for.

Playbooks name owners by id (`transport_operator`); the dashboard and exports show the label, and a
role's own measures are listed first in its view.
"""

from __future__ import annotations

OWNER_LABELS: dict[str, str] = {
    "municipality": "Municipality",
    "police": "Police",
    "emergency_services": "Ambulance / emergency services",
    "transport_operator": "Public transport operator",
    "organiser": "Event organiser",
}

# The playbook owner a role acts for (administrators act for none in particular).
ROLE_OWNER: dict[str, str] = {
    "municipality": "municipality",
    "police": "police",
    "emergency_services": "emergency_services",
    "event_organiser": "organiser",
}


def owner_label(owner: str) -> str:
    """The readable name of an owner id; unknown ids are spelled out rather than shown raw."""
    return OWNER_LABELS.get(owner, owner.replace("_", " ").capitalize())


def owner_of_role(role: str | None) -> str | None:
    return ROLE_OWNER.get(role or "")
