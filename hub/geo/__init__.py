"""French administrative areas: which région and département a point is in, and map outlines."""
