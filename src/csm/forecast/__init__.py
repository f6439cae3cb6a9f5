"""Per-zone probabilistic forecasts (p10/p50/p90), baselines and rolling-origin backtests.

Importing this package sets nothing: entry points choose passive OpenMP waiting for LightGBM
before it loads (`csm.settings.prefer_passive_openmp`).
"""
