"""Every benchmark, one after another, each printing its own figures (`make bench`).

Loopback only. Quick settings by default so the whole set finishes in about half an hour on two
cores; run a single benchmark with its own options for the full figures (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK: list[list[str]] = [
    # First: each hot path next to its limit measured in the same run, as a share (issue 17).
    ["limits_bench.py", "--rounds", "3", "--seconds", "8", "--batches", "60", "--messages", "10000",
     "--ws-rounds", "3"],
    ["poll_bench.py"],
    ["ingest_bench.py", "--seconds", "5", "--mqtt-messages", "20000"],
    ["forecast_bench.py", "--quick"],
    ["dashboard_bench.py", "--loads", "2"],
    ["scale_bench.py", "ingest"],
    ["scale_bench.py", "api"],
    ["scale_bench.py", "ws"],
    ["scale_bench.py", "faults"],
    ["sim_bench.py", "--max-seconds", "300"],
    ["training_bench.py"],
    ["sources_bench.py"],
    ["attack.py", "--flood-seconds", "5"],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run only benchmarks whose file name contains this")
    args = parser.parse_args()
    failed = []
    for command in QUICK:
        script = HERE / command[0]
        if args.only and args.only not in command[0]:
            continue
        if not script.exists():
            print(f"\n### {command[0]}: not present, skipped")
            continue
        print(f"\n### {' '.join(command)}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script), *command[1:]], check=False)
        print(f"### {command[0]} finished in {time.perf_counter() - started:.0f} s (exit {result.returncode})")
        if result.returncode:
            failed.append(" ".join(command))
    if failed:
        sys.exit(f"failed: {'; '.join(failed)}")


if __name__ == "__main__":
    main()
