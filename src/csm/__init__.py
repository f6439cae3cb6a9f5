"""Crowd Safety Manager: one shared live and forecast picture of crowd levels per zone."""

__version__ = "0.1.0"
