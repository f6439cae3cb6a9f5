"""Demand for the flow model, derived from expected occupancy per zone.

Little's law turned around: if zone d is expected to hold n_d(t) people who stay τ_d on average,
visitors arrive at a_d(t) ≈ max(0, dn_d/dt + n_d/τ_d). Each arrival comes in through an entry
(tram stop, garage exit, road) chosen by mode share and, within a mode, by closeness to d; people
leave the same way. Entry weights let a scenario close a tram stop or a full garage: its share
moves to the other entries, so visitors still come but walk other ways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from csm.flow.model import FlowDemand
from csm.flow.network import FlowNetwork

# Assumed modal split of visitors to a Dutch beach resort; scenario files may override it.
DEFAULT_MODE_SHARES: dict[str, float] = {"tram": 0.35, "garage": 0.25, "road": 0.40}
# Mean stay per zone kind (minutes): where people spend time vs. pass through.
DEFAULT_DWELL_MINUTES: dict[str, float] = {
    "beach": 150, "boulevard": 60, "pier": 60, "square": 45, "street": 40, "harbour": 60,
    "tram_stop": 5, "beach_entrance": 3,
}
FALLBACK_DWELL_MINUTES = 45.0
CLOSENESS_SCALE_M = 400.0  # an entry 400 m further away draws half as many as one at the door


def dwell_seconds(network: FlowNetwork, overrides: Mapping[str, float] | None = None) -> NDArray[np.float64]:
    """Mean stay per zone in seconds, by zone kind, with per-kind or per-zone overrides (minutes)."""
    table = {**DEFAULT_DWELL_MINUTES, **(overrides or {})}
    return np.array([
        60.0 * float(table.get(z, table.get(k, FALLBACK_DWELL_MINUTES)))
        for z, k in zip(network.zone_ids, network.kinds, strict=True)
    ])


EntryWeights = Mapping[tuple[str, str], float]  # (mode, entry zone) → factor; 0 closes it


def entry_split(
    network: FlowNetwork,
    mode_shares: Mapping[str, float] | None = None,
    entry_weights: EntryWeights | None = None,
) -> NDArray[np.float64]:
    """split[destination, entry]: the share of visitors of each zone that use each entry (rows sum to 1).

    `entry_weights` scales one mode at one entry (a tram stop out of service, a full garage);
    what it takes away moves to the remaining entries, so visitors still come.
    """
    shares = dict(mode_shares or network.mode_shares or DEFAULT_MODE_SHARES)
    weights = dict(entry_weights or {})
    z = len(network.zone_ids)
    split = np.zeros((z, z))
    xy = network.centre_xy
    for mode, entries in network.sources.items():
        share = shares.get(mode, 0.0)
        if share <= 0 or not entries:
            continue
        cols = np.array([network.index(e) for e in entries])
        dist = np.hypot(*(xy[:, None, :] - xy[None, cols, :]).transpose(2, 0, 1))
        closeness = 1.0 / (1.0 + dist / CLOSENESS_SCALE_M)
        closeness /= closeness.sum(axis=1, keepdims=True)
        closeness *= np.array([weights.get((mode, e), 1.0) for e in entries])[None, :]
        split[:, cols] += share * closeness
    total = split.sum(axis=1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("every entry is closed: visitors have no way in")
    return np.asarray(split / total)


def entry_use(network: FlowNetwork, mode: str, zone_id: str,
              mode_shares: Mapping[str, float] | None = None) -> NDArray[np.float64]:
    """Per destination zone, the share of its visitors who come by `mode` through entry `zone_id`."""
    entries = network.sources.get(mode, ())
    if zone_id not in entries:
        return np.zeros(len(network.zone_ids))
    shares = dict(mode_shares or network.mode_shares or DEFAULT_MODE_SHARES)
    present = sum(v for m, v in shares.items() if network.sources.get(m))
    within_mode = entry_split(network, {mode: 1.0})[:, network.index(zone_id)]
    return np.asarray(within_mode * shares.get(mode, 0.0) / max(present, 1e-12))


def arrivals_for_occupancy(expected: NDArray[np.float64], slot_s: float,
                           dwell_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Persons arriving per slot and zone so that a zone staying τ holds `expected` [slot, zone]."""
    rise = np.diff(expected, axis=0, prepend=expected[:1])
    rate = np.maximum(0.0, rise / slot_s + expected / dwell_s[None, :])
    return np.asarray(rate * slot_s)


def demand_from_occupancy(
    network: FlowNetwork,
    expected: NDArray[np.float64],
    slot_s: float = 900.0,
    mode_shares: Mapping[str, float] | None = None,
    entry_weights: EntryWeights | Sequence[EntryWeights] | None = None,
    dwell_overrides: Mapping[str, float] | None = None,
    start_full: bool = True,
) -> FlowDemand:
    """A flow demand whose destinations fill up as `expected` [slot, zone] says.

    `entry_weights` holds for the whole day, or is given per slot (a disruption with a window)."""
    dwell = dwell_seconds(network, dwell_overrides)
    per_zone = arrivals_for_occupancy(expected, slot_s, dwell)
    if entry_weights is None or isinstance(entry_weights, Mapping):
        split = entry_split(network, mode_shares, entry_weights)
        arrivals = per_zone[:, None, :] * split.T[None, :, :]  # [slot, entry, destination]
    else:
        if len(entry_weights) != len(expected):
            raise ValueError(f"entry weights for {len(entry_weights)} slots, expected {len(expected)}")
        cache: dict[tuple[tuple[tuple[str, str], float], ...], NDArray[np.float64]] = {}
        splits = []
        for weights in entry_weights:
            key = tuple(sorted(weights.items()))
            if key not in cache:
                cache[key] = entry_split(network, mode_shares, weights)
            splits.append(cache[key])
        split = np.stack(splits)  # [slot, destination, entry]
        arrivals = per_zone[:, None, :] * split.transpose(0, 2, 1)
    return FlowDemand(
        slot_s=slot_s,
        arrivals=arrivals,
        dwell_s=dwell,
        exit_share=split,
        initial=expected[0].copy() if start_full else None,
    )
