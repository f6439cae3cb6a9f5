"""The live crowd picture: fuse sensor data into occupancy, density and level per zone."""
