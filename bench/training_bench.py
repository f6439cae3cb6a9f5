"""What a training session's steps cost on the demo site: building the sandbox, replaying ahead
(every simulated minute fed and judged), and a jump back (a rebuild plus the replay).

Run: .venv/bin/python bench/training_bench.py [--minutes 60] [--back 30]
"""

from __future__ import annotations

import argparse
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

from csm.site.loader import load_site
from csm.training.incidents import IncidentSchema
from csm.training.session import create_session, default_start

SITE_DIR = Path(__file__).resolve().parents[1] / "sites" / "scheveningen"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=int, default=60, help="how far to replay ahead")
    parser.add_argument("--back", type=int, default=30, help="how far to jump back from there")
    args = parser.parse_args()
    site = load_site(SITE_DIR)
    begin = default_start(site, None, clock_time(14, 0))
    started = time.perf_counter()
    session = create_session(site, "scripted", begin, 60, paused=True)
    print(f"build the sandbox (readings from the counters' reset, history): {time.perf_counter() - started:.1f} s")
    session.inject(IncidentSchema(kind="surge", zone="pier", factor=3))
    started = time.perf_counter()
    session.jump_to(begin + timedelta(minutes=args.minutes))
    spent = time.perf_counter() - started
    print(f"replay {args.minutes} min ahead: {spent:.1f} s ({spent / args.minutes * 1000:.0f} ms per simulated minute)")
    started = time.perf_counter()
    session.jump_to(begin + timedelta(minutes=args.minutes - args.back))
    print(f"jump {args.back} min back (rebuild + replay): {time.perf_counter() - started:.1f} s")
    assert session.advisor is not None
    print(f"sandbox alerts: {len(session.advisor.alerts)}, crossings: {len(session.advisor.crossings)}")
    session.close()


if __name__ == "__main__":
    main()
