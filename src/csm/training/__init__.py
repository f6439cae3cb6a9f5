"""Training mode: sandbox sessions that replay a day with injected incidents, apart from live data."""
