"""Per-zone probabilistic forecasts (p10/p50/p90), baselines and rolling-origin backtests."""
