"""The pure domain core: plain data and functions, no I/O. Everything imports this; it imports nothing upward."""
