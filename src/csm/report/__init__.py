"""After-action report of one day at a site: levels, alerts and measures with lead times, forecast
skill on each crossing, data availability — the document a municipality hands to its council."""

from csm.report.data import DayReport, build_day_report

__all__ = ["DayReport", "build_day_report"]
