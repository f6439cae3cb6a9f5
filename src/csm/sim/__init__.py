"""Detailed simulation of one location with JuPedSim, analysed with PedPy (optional extra `sim`)."""
