"""A readable table of a scenario result for the terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from csm.domain.model import Level

EARLIER_MINUTES = 15


def _rank(level: str) -> int:
    return Level(level).rank


def render(result: dict[str, Any]) -> str:
    lines = [
        f"Scenario: {result['name']}  ({result['site']}, {result['date']})",
        f"Baseline: {result['baseline_source']}",
    ]
    lines += [f"  + {note}" for note in result["changes"]]
    header = f"{'zone':<24} {'baseline peak':<22} {'scenario peak':<22} {'peak at':<8} advised measures"
    lines += ["", header, "-" * len(header)]
    zones = sorted(result["zones"], key=lambda z: (-_rank(z["scenario_peak"]["level"]), z["zone_id"]))
    for z in zones:
        b, s = z["baseline_peak"], z["scenario_peak"]
        mark = " ▲" if _rank(s["level"]) > _rank(b["level"]) else ("  " if s["level"] == b["level"] else " ▼")
        base = f"{b['level']:<6} {b['p50']:>7,} @{b['p50_at']}"
        scen = f"{s['level']:<6} {s['p50']:>7,}{mark}"
        name = z["zone_id"] + (" *" if z.get("estimated") else "")
        lines.append(f"{name:<24} {base:<22} {scen:<22} {s['level_at']:<8} {', '.join(z['measures']) or '-'}")
    new = [a for a in result["advice"]["scenario"]
           if a.get("new") or (a.get("earlier_minutes") or 0) >= EARLIER_MINUTES]
    lines += ["", f"Measures the scenario adds or brings forward ({len(new)}):"]
    tz = ZoneInfo(result.get("timezone", "UTC"))
    for a in new:
        start = datetime.fromisoformat(a["start_by"]).astimezone(tz).strftime("%H:%M")
        why = "new" if a.get("new") else f"{a['earlier_minutes']} min earlier"
        lines.append(f"  start by {start}  {a['level']:<6} {a['measure_id']:<32} {a['zone_id']:<22} {why}")
    flow = result["flow"]["scenario"]
    busiest = flow["busiest_links"][0] if flow["busiest_links"] else None
    lines += ["", f"Flow model: {flow['entered']:,} entered, {flow['left']:,} left, {flow['inside_at_end']:,} inside"
              f" at the end, imbalance {flow['imbalance']}"
              + (f"; busiest link {busiest['from']} → {busiest['to']} at {busiest['peak_utilisation']:.0%}"
                 " of capacity" if busiest else "")]
    if any(z.get("estimated") for z in result["zones"]):
        lines.append("* estimated from the flows (no forecast for this zone)")
    return "\n".join(lines)
