"""Advice: stable levels (hysteresis), predicted crossings, the playbook of measures, alerts and
their lifecycle, alternatives (quieter zones, clear access routes) and notifications."""
