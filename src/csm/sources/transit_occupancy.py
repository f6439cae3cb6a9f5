"""Passengers on a vehicle from GTFS-Realtime occupancy, where the operator sends it.

`occupancy_percentage` (0..100, may exceed 100 when crowded) is used when present; otherwise the
`occupancy_status` band is taken at its middle. Both are fractions of `vehicle_capacity`.
"""

from __future__ import annotations

from typing import Any

from google.transit import gtfs_realtime_pb2

Occupancy = gtfs_realtime_pb2.VehiclePosition.OccupancyStatus
# Middle of each band as a share of a full vehicle (GTFS-Realtime reference, OccupancyStatus).
STATUS_SHARE: dict[int, float] = {
    Occupancy.EMPTY: 0.0,
    Occupancy.MANY_SEATS_AVAILABLE: 0.25,
    Occupancy.FEW_SEATS_AVAILABLE: 0.6,
    Occupancy.STANDING_ROOM_ONLY: 0.85,
    Occupancy.CRUSHED_STANDING_ROOM_ONLY: 1.0,
    Occupancy.FULL: 1.0,
}
MAX_PERCENTAGE = 200  # over this it is not a percentage


def passenger_estimate(vehicle: Any, capacity: int) -> float | None:
    """Persons on board, or None when the feed says nothing about occupancy."""
    if vehicle.HasField("occupancy_percentage") and 0 <= vehicle.occupancy_percentage <= MAX_PERCENTAGE:
        return capacity * vehicle.occupancy_percentage / 100
    if vehicle.HasField("occupancy_status") and vehicle.occupancy_status in STATUS_SHARE:
        return capacity * STATUS_SHARE[vehicle.occupancy_status]
    return None
