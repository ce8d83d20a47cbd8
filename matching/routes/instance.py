"""The solver-neutral pickup-and-delivery instance shared by the solvers and the checker.

Every stop is a node of its own (two per request, plus each vehicle's start and end), so a
route is a plain list of node indices and two stops at the same address simply have a zero
distance between them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatMatrix = NDArray[np.float64]


@dataclass(frozen=True)
class Request:
    """One pickup-and-delivery pair: load ``quantity`` at ``pickup``, unload it at ``delivery``."""

    pickup: int
    delivery: int
    quantity: int


@dataclass(frozen=True)
class Vehicle:
    """A vehicle leaving ``start`` from ``shift_start`` on, back at ``end`` by ``shift_end``."""

    start: int
    end: int
    capacity: int
    shift_start: float = 0.0
    shift_end: float = float("inf")


@dataclass(frozen=True)
class Instance:
    """A PDPTW instance on nodes ``0..n-1``.

    Parameters
    ----------
    distance, duration
        ``(n, n)`` matrices in the instance's own units (km and minutes for the hub).
    early, late, service
        Per node: the time window ``[early, late]`` in which service must *start*, and the
        service time. Waiting before ``early`` is allowed.
    requests
        The pickup-and-delivery pairs; each node belongs to at most one request.
    vehicles
        The fleet; a vehicle may stay unused.
    """

    distance: FloatMatrix
    duration: FloatMatrix
    early: NDArray[np.float64]
    late: NDArray[np.float64]
    service: NDArray[np.float64]
    requests: tuple[Request, ...]
    vehicles: tuple[Vehicle, ...]
    name: str = ""

    def __post_init__(self) -> None:
        n = self.num_nodes
        for label, arr in (("distance", self.distance), ("duration", self.duration)):
            if arr.shape != (n, n):
                raise ValueError(f"{label} matrix has shape {arr.shape}, expected {(n, n)}")
        for label, vec in (("early", self.early), ("late", self.late), ("service", self.service)):
            if vec.shape != (n,):
                raise ValueError(f"{label} has shape {vec.shape}, expected {(n,)}")
        seen: set[int] = set()
        for req in self.requests:
            for node in (req.pickup, req.delivery):
                if not 0 <= node < n or node in seen:
                    raise ValueError(f"request node {node} is out of range or used twice")
                seen.add(node)
            if req.quantity < 0:
                raise ValueError(f"negative quantity {req.quantity}")

    @property
    def num_nodes(self) -> int:
        """Number of nodes (stops and vehicle ends)."""
        return int(self.early.shape[0])

    def route_distance(self, vehicle: int, nodes: list[int]) -> float:
        """Distance of a vehicle's route from its start through ``nodes`` back to its end."""
        if not nodes:
            return 0.0
        veh = self.vehicles[vehicle]
        path = [veh.start, *nodes, veh.end]
        return float(sum(self.distance[a, b] for a, b in itertools.pairwise(path)))


@dataclass(frozen=True)
class Solution:
    """Routes per vehicle (node lists without the vehicle's start and end) and dropped requests."""

    routes: tuple[tuple[int, ...], ...]
    unassigned: tuple[int, ...] = ()

    def distance(self, instance: Instance) -> float:
        """Total distance of all routes, from the instance's exact matrix."""
        return sum(instance.route_distance(v, list(r)) for v, r in enumerate(self.routes))
