"""Scheduled work of the running service that combines several features (forecasts of every site).
Above the pure cores (csm.forecast), below the wiring (csm.runtime)."""
