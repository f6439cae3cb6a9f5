"""Site-scale macroscopic pedestrian flow: zones as cells, capacity-limited links (Weidmann)."""
