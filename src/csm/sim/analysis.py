"""What a clearing simulation tells an operator, measured with PedPy: densities (classic over the
square, Voronoi in front of each exit), flow through each exit, time to clear, and a grid of the
highest density each spot reached, as GeoJSON for the map."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from shapely.geometry import Point, box, mapping

from csm.sim.geometry import Square
from csm.sim.run import Clearing

GRID_M = 2.0
EXIT_APPROACH_M = 4.0  # depth of the measurement area in front of an exit
VORONOI_EVERY_S = 1.0
TIMELINE_FRAMES = 48  # steps of the run's time line (density per cell, persons out per exit)


def _pedpy_densities(square: Square, clearing: Clearing) -> dict[str, Any]:
    import pedpy

    traj = pedpy.TrajectoryData(data=clearing.trajectories, frame_rate=clearing.frame_rate)
    whole = pedpy.MeasurementArea(square.polygon)
    classic = pedpy.compute_classic_density(traj_data=traj, measurement_area=whole)
    step = max(1, round(VORONOI_EVERY_S * clearing.frame_rate))
    sampled = clearing.trajectories[clearing.trajectories["frame"] % step == 0]
    walkable = pedpy.WalkableArea(square.walkable)
    voronoi_traj = pedpy.TrajectoryData(data=sampled, frame_rate=clearing.frame_rate)
    individual = pedpy.compute_individual_voronoi_polygons(
        traj_data=voronoi_traj, walkable_area=walkable, cut_off=pedpy.Cutoff(radius=1.0, quad_segments=3)
    )
    at_exits = {}
    for exit_ in square.exits:
        approach = exit_.line.buffer(EXIT_APPROACH_M, cap_style="flat").intersection(square.polygon)
        density, _ = pedpy.compute_voronoi_density(
            individual_voronoi_data=individual, measurement_area=pedpy.MeasurementArea(approach)
        )
        at_exits[exit_.id] = round(float(density["density"].max()), 2) if not density.empty else 0.0
    return {
        "classic_mean_peak_p_per_m2": round(float(classic["density"].max()), 3),
        "voronoi_peak_at_exits_p_per_m2": at_exits,
    }


def _exit_flows(square: Square, clearing: Clearing, remaining: set[int]) -> list[dict[str, Any]]:
    rows = []
    for exit_ in square.exits:
        times = sorted(t for a, t in clearing.exit_time_s.items()
                       if clearing.exit_of.get(a) == exit_.id and a not in remaining)
        # steady part only: the first and last tenth are the start-up and the stragglers
        lo, hi = int(0.1 * len(times)), max(int(0.9 * len(times)) - 1, 0)
        span = times[hi] - times[lo] if hi > lo else 0.0
        flow = (hi - lo) / span if span > 0 else 0.0
        rows.append({
            "exit": exit_.id, "width_m": round(exit_.width_m, 1), "persons": len(times),
            "first_out_s": round(times[0], 1) if times else None,
            "last_out_s": round(times[-1], 1) if times else None,
            "flow_p_per_s": round(flow, 2),
            "specific_flow_p_per_m_s": round(flow / exit_.width_m, 2) if exit_.width_m else None,
        })
    return rows


def _bins(clearing: Clearing) -> float:
    """Seconds per time-line step: the run in TIMELINE_FRAMES equal steps (at least one frame)."""
    return max(clearing.simulated_s / TIMELINE_FRAMES, 1.0 / clearing.frame_rate)


def timeline(square: Square, clearing: Clearing, remaining: set[int]) -> dict[str, Any]:
    """The clearing run over time, for the map's slider: persons still on the square and persons out
    through each exit, at the end of each step."""
    step = _bins(clearing)
    ends = [round(step * (k + 1), 1) for k in range(TIMELINE_FRAMES)]
    out = {e.id: [0] * TIMELINE_FRAMES for e in square.exits}
    for agent, t in clearing.exit_time_s.items():
        exit_id = clearing.exit_of.get(agent)
        if agent in remaining or exit_id not in out:
            continue
        first = min(int(t // step), TIMELINE_FRAMES - 1)
        for k in range(first, TIMELINE_FRAMES):
            out[exit_id][k] += 1
    inside = [clearing.agents - sum(col[k] for col in out.values()) for k in range(TIMELINE_FRAMES)]
    return {"step_s": round(step, 2), "end_s": ends, "on_square": inside, "out_by_exit": out}


def density_grid(square: Square, clearing: Clearing, cell_m: float = GRID_M) -> dict[str, Any]:
    """GeoJSON cells (WGS84) with the highest classic density each reached, in p/m²."""
    minx, miny, maxx, maxy = square.polygon.bounds
    nx, ny = max(1, int(np.ceil((maxx - minx) / cell_m))), max(1, int(np.ceil((maxy - miny) / cell_m)))
    frames = clearing.trajectories
    frames = frames[(frames["x"] >= minx) & (frames["x"] < minx + nx * cell_m)
                    & (frames["y"] >= miny) & (frames["y"] < miny + ny * cell_m)]  # not in the door corridors
    peak = np.zeros((nx, ny))
    bins = _bins(clearing)
    over_time = np.zeros((nx * ny, TIMELINE_FRAMES))
    if not frames.empty:
        ix = ((frames["x"].to_numpy() - minx) // cell_m).astype(int)
        iy = ((frames["y"].to_numpy() - miny) // cell_m).astype(int)
        counts = pd.DataFrame({"frame": frames["frame"].to_numpy(), "cell": ix * ny + iy}).value_counts()
        per_cell = counts.groupby(level="cell").max()
        peak.ravel()[per_cell.index.to_numpy()] = per_cell.to_numpy()
        # The run over time: the highest count of each cell within each bin of TIMELINE_FRAMES.
        binned = counts.reset_index()
        binned["bin"] = np.minimum(binned["frame"].to_numpy() / clearing.frame_rate // bins,
                                   TIMELINE_FRAMES - 1).astype(int)
        per_bin = binned.groupby(["cell", "bin"])["count"].max()
        over_time[per_bin.index.get_level_values("cell"), per_bin.index.get_level_values("bin")] = per_bin.to_numpy()
    features = []
    for i, j in zip(*np.nonzero(peak), strict=True):
        cell = box(minx + i * cell_m, miny + j * cell_m, minx + (i + 1) * cell_m, miny + (j + 1) * cell_m)
        inside = cell.intersection(square.polygon)
        if inside.area < 0.5 * cell_m * cell_m:  # slivers at the edge would inflate densities
            continue
        features.append({
            "type": "Feature",
            "geometry": mapping(square.lonlat(inside)),
            "properties": {
                "peak_density_p_per_m2": round(float(peak[i, j]) / inside.area, 2),
                "density_over_time": [round(float(c) / inside.area, 2) for c in over_time[i * ny + j]],
            },
        })
    return {"type": "FeatureCollection", "features": features}


def analyse(square: Square, clearing: Clearing) -> dict[str, Any]:
    frames = clearing.trajectories
    last = frames[frames["frame"] == frames["frame"].max()] if not clearing.cleared and not frames.empty else None
    remaining = set(last["id"].astype(int)) if last is not None else set()
    exit_times = [t for a, t in clearing.exit_time_s.items() if a not in remaining]
    grid = density_grid(square, clearing)
    peak_cell = max((f["properties"]["peak_density_p_per_m2"] for f in grid["features"]), default=0.0)
    exits_geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(square.lonlat(e.line)),
         "properties": {"exit": e.id, "width_m": round(e.width_m, 1)}} for e in square.exits
    ]}
    return {
        "agents": clearing.agents,
        "cleared": clearing.cleared,
        "remaining": len(remaining),
        "evacuation_time_s": round(max(exit_times), 1) if exit_times and clearing.cleared else None,
        "time_for_90_percent_s": round(float(np.percentile(exit_times, 90)), 1) if exit_times else None,
        "simulated_s": round(clearing.simulated_s, 1),
        "wall_s": round(clearing.wall_s, 2),
        "square_area_m2": round(square.polygon.area),
        "peak_density_cell_p_per_m2": peak_cell,
        **_pedpy_densities(square, clearing),
        "exits": _exit_flows(square, clearing, remaining),
        "density_grid": grid,
        "timeline": timeline(square, clearing, remaining),
        "exit_lines": exits_geojson,
        "grid_m": GRID_M,
        "start_positions": {"type": "Feature", "geometry": mapping(square.lonlat(
            Point(frames["x"].mean(), frames["y"].mean()) if not frames.empty else square.polygon.centroid)),
            "properties": {"what": "centre of the crowd at the start"}},
    }
