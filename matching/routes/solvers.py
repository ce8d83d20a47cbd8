"""Two solver back-ends for an :class:`Instance`: PyVRP (the default) and OR-Tools routing.

Both work on integers, so the instance is scaled. Rounding is chosen to be *conservative*:
travel and service times round up, windows shrink inward, so a route the solver calls
feasible is still feasible in exact arithmetic (and passes :mod:`matching.routes.check`).
Distances round to nearest, as they only steer the objective; reported distances are
recomputed from the exact matrix.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from matching.routes.instance import Instance, Solution, Vehicle

if TYPE_CHECKING:
    import pyvrp

Backend = Literal["pyvrp", "ortools"]

# Units per instance unit: km -> m, minutes -> 1/1000 min. Large enough that rounding
# costs well under 0.01 % on Li & Lim, small enough to stay far from int64 limits.
SCALE = 1000
_BIG = 2**40  # stands for "no limit" in scaled units


def _up(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Scale and round up, ignoring float noise such as 2.0000000000004."""
    scaled = np.minimum(np.asarray(values, dtype=float) * SCALE, _BIG)
    result: NDArray[np.int64] = np.ceil(scaled - 1e-6).astype(np.int64)
    return result


def _down(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Scale and round down, ignoring float noise."""
    scaled = np.minimum(np.asarray(values, dtype=float) * SCALE, _BIG)
    result: NDArray[np.int64] = np.floor(scaled + 1e-6).astype(np.int64)
    return result


def _nearest(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Scale and round to nearest."""
    scaled = np.minimum(np.asarray(values, dtype=float) * SCALE, _BIG)
    result: NDArray[np.int64] = np.round(scaled).astype(np.int64)
    return result


def _prize(instance: Instance) -> int:
    """A prize per optional request that outweighs any detour it may cost."""
    finite = instance.distance[np.isfinite(instance.distance)]
    longest = float(finite.max()) if finite.size else 1.0
    return int(4 * max(longest, 1.0) * SCALE) * 10


def solve(
    instance: Instance,
    *,
    seconds: float,
    backend: Backend = "pyvrp",
    seed: int = 1,
    optional: bool = False,
) -> Solution:
    """Solve ``instance`` within ``seconds``; with ``optional``, requests may be dropped."""
    if backend == "pyvrp":
        return _solve_pyvrp(instance, seconds=seconds, seed=seed, optional=optional)
    if backend == "ortools":
        return _solve_ortools(instance, seconds=seconds, optional=optional)
    raise ValueError(f"unknown backend {backend!r}")


def _solve_pyvrp(instance: Instance, *, seconds: float, seed: int, optional: bool) -> Solution:
    """Solve with PyVRP's shipments (pickup-and-delivery pairs)."""
    # Imported here: the hub imports the planner at start-up, and only a solve needs PyVRP.
    import pyvrp
    from pyvrp.stop import MaxRuntime

    if not instance.requests:
        return Solution(routes=tuple(() for _ in instance.vehicles))
    data, members = _pyvrp_problem(instance, optional=optional)
    result = pyvrp.solve(
        data, stop=MaxRuntime(max(seconds, 0.01)), seed=seed, collect_stats=False, display=False
    )
    return _pyvrp_solution(instance, result.best, members)


def _pyvrp_problem(
    instance: Instance, *, optional: bool
) -> tuple[pyvrp.ProblemData, list[list[int]]]:
    """PyVRP's problem, and for each of its vehicle types the instance's vehicles of that type."""
    import pyvrp

    # PyVRP wants depot locations first; node -> location index.
    depot_nodes = sorted({v.start for v in instance.vehicles} | {v.end for v in instance.vehicles})
    other = [i for i in range(instance.num_nodes) if i not in set(depot_nodes)]
    order = depot_nodes + other
    loc_of = {node: k for k, node in enumerate(order)}
    dist = _nearest(instance.distance)[np.ix_(order, order)]
    dur = _up(instance.duration)[np.ix_(order, order)]
    np.fill_diagonal(dist, 0)
    np.fill_diagonal(dur, 0)
    vehicle_types, members = _pyvrp_fleet(instance, {node: k for k, node in enumerate(depot_nodes)})
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(x=0.0, y=0.0, name=str(node)) for node in order],
        clients=[],
        depots=[pyvrp.Depot(location=loc_of[node]) for node in depot_nodes],
        vehicle_types=vehicle_types,
        distance_matrices=[dist],  # type: ignore[list-item]  # the stub's ndarray[int]
        duration_matrices=[dur],  # type: ignore[list-item]
        shipments=_pyvrp_shipments(instance, loc_of, optional=optional),
    )
    return data, members


def _pyvrp_shipments(
    instance: Instance, loc_of: dict[int, int], *, optional: bool
) -> list[pyvrp.Shipment]:
    """One PyVRP shipment per request, named by its index; optional ones earn a prize."""
    import pyvrp

    early, late, service = _up(instance.early), _down(instance.late), _up(instance.service)
    prize = _prize(instance) if optional else 0
    return [
        pyvrp.Shipment(
            pickup_location=loc_of[req.pickup],
            delivery_location=loc_of[req.delivery],
            pickup_tw_early=int(early[req.pickup]),
            pickup_tw_late=int(late[req.pickup]),
            pickup_service_duration=int(service[req.pickup]),
            delivery_tw_early=int(early[req.delivery]),
            delivery_tw_late=int(late[req.delivery]),
            delivery_service_duration=int(service[req.delivery]),
            amount=[req.quantity],
            prize=prize,
            required=not optional,
            name=str(r),
        )
        for r, req in enumerate(instance.requests)
    ]


def _pyvrp_fleet(
    instance: Instance, depot_index: dict[int, int]
) -> tuple[list[pyvrp.VehicleType], list[list[int]]]:
    """PyVRP's vehicle types, and the instance's vehicles of each type."""
    import pyvrp

    # Identical vehicles become one type with several available: a smaller search space.
    groups: dict[Vehicle, list[int]] = defaultdict(list)
    for v, veh in enumerate(instance.vehicles):
        groups[veh].append(v)
    vehicle_types = []
    members: list[list[int]] = []
    for veh, indices in groups.items():
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(indices),
                capacity=[veh.capacity],
                start_depot=depot_index[veh.start],
                end_depot=depot_index[veh.end],
                tw_early=int(_up(np.array([veh.shift_start]))[0]),
                tw_late=int(_down(np.array([veh.shift_end]))[0]),
            )
        )
        members.append(list(indices))
    return vehicle_types, members


def _pyvrp_solution(instance: Instance, best: pyvrp.Solution, members: list[list[int]]) -> Solution:
    """Read PyVRP's routes back as the instance's nodes, vehicle by vehicle."""
    routes: list[tuple[int, ...]] = [() for _ in instance.vehicles]
    served: set[int] = set()
    for route in best.routes():
        vehicle = members[route.vehicle_type()].pop(0)
        nodes = []
        for act in route.schedule():
            if act.is_pickup():
                nodes.append(instance.requests[act.idx].pickup)
                served.add(act.idx)
            elif act.is_delivery():
                nodes.append(instance.requests[act.idx].delivery)
        routes[vehicle] = tuple(nodes)
    unassigned = tuple(r for r in range(len(instance.requests)) if r not in served)
    return Solution(routes=tuple(routes), unassigned=unassigned)


def _solve_ortools(instance: Instance, *, seconds: float, optional: bool) -> Solution:
    """Solve with OR-Tools routing: pickups and deliveries, time and capacity dimensions."""
    from ortools.constraint_solver import pywrapcp

    n = instance.num_nodes
    fleet = instance.vehicles
    manager = pywrapcp.RoutingIndexManager(
        n, len(fleet), [v.start for v in fleet], [v.end for v in fleet]
    )
    routing = pywrapcp.RoutingModel(manager)
    dist = _nearest(instance.distance).tolist()
    service = _up(instance.service)
    # Service happens at the origin of an arc, so it is folded into the transit time.
    travel = (_up(instance.duration) + service[:, None]).tolist()
    demand = [0] * n
    for req in instance.requests:
        demand[req.pickup] = req.quantity
        demand[req.delivery] = -req.quantity

    # The callbacks stay in this frame until the solve ends: OR-Tools calls them from C++.
    def dist_cb(i: int, j: int) -> int:
        return int(dist[manager.IndexToNode(i)][manager.IndexToNode(j)])

    def time_cb(i: int, j: int) -> int:
        return int(travel[manager.IndexToNode(i)][manager.IndexToNode(j)])

    def demand_cb(i: int) -> int:
        return int(demand[manager.IndexToNode(i)])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(dist_cb))
    horizon = _ortools_horizon(instance)
    routing.AddDimension(routing.RegisterTransitCallback(time_cb), horizon, horizon, False, "Time")
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(demand_cb),
        0,
        [v.capacity for v in fleet],
        True,
        "Load",
    )
    _ortools_windows(instance, manager, routing, horizon)
    _ortools_pairs(instance, manager, routing, optional=optional)
    found = routing.SolveWithParameters(_ortools_parameters(seconds))
    if found is None:
        return Solution(
            routes=tuple(() for _ in fleet), unassigned=tuple(range(len(instance.requests)))
        )
    return _ortools_solution(instance, manager, routing, found)


def _ortools_horizon(instance: Instance) -> int:
    """The time dimension's bound, in scaled units: the latest shift end or window close."""
    late = _down(instance.late)
    return int(max(_down(np.array([v.shift_end for v in instance.vehicles])).max(), late.max()))


def _ortools_windows(instance: Instance, manager: Any, routing: Any, horizon: int) -> None:
    """Each stop's window and each vehicle's shift, on the time dimension."""
    time_dim = routing.GetDimensionOrDie("Time")
    early, late = _up(instance.early), _down(instance.late)
    vehicle_nodes = {v.start for v in instance.vehicles} | {v.end for v in instance.vehicles}
    for node in range(instance.num_nodes):
        if node not in vehicle_nodes:
            time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(
                int(early[node]), int(min(late[node], horizon))
            )
    for v, veh in enumerate(instance.vehicles):
        lo = int(_up(np.array([veh.shift_start]))[0])
        hi = int(min(_down(np.array([veh.shift_end]))[0], horizon))
        time_dim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        time_dim.CumulVar(routing.End(v)).SetRange(lo, hi)


def _ortools_pairs(instance: Instance, manager: Any, routing: Any, *, optional: bool) -> None:
    """Pair each pickup with its delivery: same vehicle, pickup first; optional ones may drop."""
    time_dim = routing.GetDimensionOrDie("Time")
    solver = routing.solver()
    penalty = _prize(instance)
    for req in instance.requests:
        p, d = manager.NodeToIndex(req.pickup), manager.NodeToIndex(req.delivery)
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(time_dim.CumulVar(p) <= time_dim.CumulVar(d))
        if optional:
            routing.AddDisjunction([p, d], penalty, 2)


def _ortools_parameters(seconds: float) -> Any:
    """Cheapest insertion, then guided local search, within ``seconds``."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(max(seconds, 0.01) * 1000))
    return params


def _ortools_solution(instance: Instance, manager: Any, routing: Any, found: Any) -> Solution:
    """Read each vehicle's route back as the instance's nodes."""
    routes = []
    for v in range(len(instance.vehicles)):
        nodes = []
        index = found.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            nodes.append(manager.IndexToNode(index))
            index = found.Value(routing.NextVar(index))
        routes.append(tuple(nodes))
    visited = {node for route in routes for node in route}
    unassigned = tuple(r for r, req in enumerate(instance.requests) if req.pickup not in visited)
    return Solution(routes=tuple(routes), unassigned=unassigned)
