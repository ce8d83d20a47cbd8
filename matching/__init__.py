"""Pure algorithms for the hub: the matcher and the route planner."""
