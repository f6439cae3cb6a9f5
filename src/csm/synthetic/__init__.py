"""Synthetic data: a deterministic model of a site's day (crowds and sensor readings), used by the
demo, training sandboxes, scenario baselines and benchmarks. Production code imports it here,
never from `csm.demo`."""
