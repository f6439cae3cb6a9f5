"""Per-zone probabilistic forecasts (p10/p50/p90), baselines and rolling-origin backtests."""

import os

# LightGBM's OpenMP threads spin while waiting by default; on a busy two-core server (ingest, API
# and forecasts side by side) spinning threads starve each other and training slows tenfold.
# Passive waiting must be chosen before the OpenMP runtime loads, so it is set here, first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
