"""What-if scenarios: a planned change to a day, run against the baseline forecast."""
