"""Plan drivers' pickup-and-delivery tours for the hub's shipments."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.routes.check import check_solution
from matching.routes.instance import Instance, Request, Solution, Vehicle
from matching.routes.matrix import HaversineProvider, MatrixProvider
from matching.routes.model import Driver, Place, Plan, PlannedRoute, PlannedStop, Shipment
from matching.routes.solvers import Backend, solve

NO_ROOM = (
    "no driver could fit it alongside the other shipments within the windows, shifts and "
    "capacities: add a driver or widen the windows"
)


@dataclass(frozen=True)
class _Load:
    """A shipment, or one load of a batch split to fit the vehicles."""

    shipment: Shipment
    quantity: int
    number: int
    of: int


def _split(shipment: Shipment, largest: int) -> list[_Load]:
    """Split into as few loads as fit the largest vehicle, as even as possible."""
    k = math.ceil(shipment.quantity / largest)
    base, extra = divmod(shipment.quantity, k)
    return [_Load(shipment, base + (1 if i < extra else 0), i + 1, k) for i in range(k)]


def _minutes(t: float) -> str:
    """Render a clock minute for a human reason."""
    return f"{t:.0f} min"


def _solo_reason(
    load: _Load, drivers: Sequence[Driver], duration: np.ndarray, p: int, d: int, nodes: list[int]
) -> str | None:
    """Why no driver could carry this load even alone, or ``None`` if one can.

    ``nodes[2k]`` and ``nodes[2k+1]`` are driver k's start and end nodes. Of the drivers, the
    reason reported is from the one who gets furthest (lab, then hospital, then shift).
    """
    s = load.shipment
    best: tuple[int, float, str] | None = None
    cand: tuple[int, float, str]
    for k, drv in enumerate(drivers):
        start, end = nodes[2 * k], nodes[2 * k + 1]
        if load.quantity > drv.capacity:
            cand = (0, load.quantity - drv.capacity, "")
        else:
            t0 = drv.shift_start_min
            arrive_p = t0 + duration[start, p]
            if not math.isfinite(arrive_p):
                cand = (1, math.inf, "the lab cannot be reached by road from any driver")
            elif arrive_p > s.pickup_window[1]:
                cand = (
                    1,
                    arrive_p - s.pickup_window[1],
                    f"the lab closes at {_minutes(s.pickup_window[1])}, before any driver can "
                    f"arrive (earliest {_minutes(arrive_p)})",
                )
            else:
                leave_p = max(arrive_p, s.pickup_window[0]) + s.pickup_service_min
                arrive_d = leave_p + duration[p, d]
                if not math.isfinite(arrive_d):
                    cand = (2, math.inf, "the hospital cannot be reached by road from the lab")
                elif arrive_d > s.delivery_window[1]:
                    cand = (
                        2,
                        arrive_d - s.delivery_window[1],
                        f"the hospital receiving window closes at "
                        f"{_minutes(s.delivery_window[1])}, before any driver can arrive "
                        f"(earliest {_minutes(arrive_d)})",
                    )
                else:
                    leave_d = max(arrive_d, s.delivery_window[0]) + s.delivery_service_min
                    back = leave_d + duration[d, end]
                    took = back - t0
                    if took <= drv.available_minutes + 1e-6:
                        return None
                    cand = (
                        3,
                        took - drv.available_minutes,
                        f"the round trip takes {took:.0f} min, more than the "
                        f"{drv.available_minutes:.0f} min available",
                    )
        # Furthest stage wins; within a stage, the smallest overshoot.
        if best is None or (cand[0], -cand[1]) > (best[0], -best[1]):
            best = cand
    assert best is not None
    if best[0] == 0:
        largest = max(d.capacity for d in drivers)
        return f"load of {load.quantity} units is larger than the largest vehicle ({largest} units)"
    return best[2]


def plan_routes(
    shipments: Sequence[Shipment],
    drivers: Sequence[Driver],
    *,
    matrix_provider: MatrixProvider | None = None,
    seconds: float = 2.0,
    split_loads: bool = True,
    backend: Backend = "pyvrp",
    seed: int = 1,
) -> Plan:
    """Plan tours serving as many shipments as possible, then with the least distance.

    Parameters
    ----------
    shipments
        Batches to carry; ids must be unique.
    drivers
        Drivers available at once; ids must be unique.
    matrix_provider
        Travel distances and times; haversine × 1.3 at 50 km/h when ``None``.
    seconds
        Solver time limit.
    split_loads
        Split a batch larger than the largest vehicle into loads that fit; otherwise
        leave it unassigned with a message.
    backend
        ``"pyvrp"`` (default) or ``"ortools"``.
    seed
        Solver seed, for reproducible plans.

    Returns
    -------
    Plan
        Routes (with times on the shared clock) and, for every shipment left out, a reason.

    Raises
    ------
    ValueError
        On duplicate shipment or driver ids.
    """
    for label, ids in (
        ("shipment", [s.id for s in shipments]),
        ("driver", [d.id for d in drivers]),
    ):
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate {label} ids")
    provider = matrix_provider if matrix_provider is not None else HaversineProvider()
    unassigned: dict[str, str] = {}
    if not shipments:
        return Plan(routes=())
    if not drivers:
        return Plan(routes=(), unassigned={s.id: "no driver is available" for s in shipments})

    largest = max(d.capacity for d in drivers)
    loads: list[_Load] = []
    for s in shipments:
        if s.quantity <= largest:
            loads.append(_Load(s, s.quantity, 1, 1))
        elif split_loads:
            loads.extend(_split(s, largest))
        else:
            unassigned[s.id] = (
                f"batch {s.id} ({s.quantity} units) is larger than the vehicle ({largest} "
                f"units): split it into loads of at most {largest}"
            )

    # Nodes: each driver's start and end, then each load's pickup and delivery.
    places: list[Place] = []
    for drv in drivers:
        places += [drv.start, drv.end_place]
    for load in loads:
        places += [load.shipment.pickup, load.shipment.delivery]
    unique = list(dict.fromkeys(places))
    index = {p: i for i, p in enumerate(unique)}
    travel = provider.matrix(unique)
    at = np.array([index[p] for p in places])
    distance = travel.distance_km[np.ix_(at, at)]
    duration = travel.duration_min[np.ix_(at, at)]

    n = len(places)
    early, late, service = np.zeros(n), np.full(n, math.inf), np.zeros(n)
    driver_nodes = list(range(2 * len(drivers)))
    requests: list[Request] = []
    kept: list[_Load] = []
    reasons: dict[str, list[str]] = {}
    for k, load in enumerate(loads):
        p, d = 2 * len(drivers) + 2 * k, 2 * len(drivers) + 2 * k + 1
        s = load.shipment
        early[p], late[p], service[p] = s.pickup_window[0], s.pickup_window[1], s.pickup_service_min
        early[d], late[d] = s.delivery_window
        service[d] = s.delivery_service_min
        why = _solo_reason(load, drivers, duration, p, d, driver_nodes)
        if why is None:
            requests.append(Request(pickup=p, delivery=d, quantity=load.quantity))
            kept.append(load)
        else:
            reasons.setdefault(s.id, []).append(why)
    vehicles = tuple(
        Vehicle(
            start=2 * k,
            end=2 * k + 1,
            capacity=drv.capacity,
            shift_start=drv.shift_start_min,
            shift_end=drv.shift_start_min + drv.available_minutes,
        )
        for k, drv in enumerate(drivers)
    )
    # Unreachable pairs must not poison the integer scaling: make them merely very long.
    finite_d = np.where(np.isfinite(distance), distance, 1e7)
    finite_t = np.where(np.isfinite(duration), duration, 1e7)
    instance = Instance(
        distance=finite_d,
        duration=finite_t,
        early=early,
        late=late,
        service=service,
        requests=tuple(requests),
        vehicles=vehicles,
    )
    solution = (
        solve(instance, seconds=seconds, backend=backend, seed=seed, optional=True)
        if requests
        else Solution(routes=tuple(() for _ in vehicles))
    )
    solution = _drop_infeasible(instance, solution)
    for r in solution.unassigned:
        reasons.setdefault(kept[r].shipment.id, []).append(NO_ROOM)

    for sid, whys in reasons.items():
        total = next(ld.of for ld in loads if ld.shipment.id == sid)
        unique_whys = list(dict.fromkeys(whys))
        text = "; ".join(unique_whys)
        unassigned[sid] = text if total == 1 else f"{len(whys)} of {total} loads: {text}"

    routes = [
        _planned(drivers[v], v, instance, kept, places, list(route))
        for v, route in enumerate(solution.routes)
        if route
    ]
    return Plan(routes=tuple(routes), unassigned=unassigned)


def _drop_infeasible(instance: Instance, solution: Solution) -> Solution:
    """Keep only routes the independent checker accepts; their requests become unassigned."""
    routes = list(solution.routes)
    dropped = set(solution.unassigned)
    for v, route in enumerate(routes):
        alone = Solution(routes=tuple(r if i == v else () for i, r in enumerate(routes)))
        served = {r for r, q in enumerate(instance.requests) if q.pickup in route}
        others = set(range(len(instance.requests))) - served
        if check_solution(instance, alone, allow_unassigned=others):
            routes[v] = ()
            dropped |= served
    return Solution(routes=tuple(routes), unassigned=tuple(sorted(dropped)))


def _planned(
    driver: Driver,
    v: int,
    instance: Instance,
    kept: list[_Load],
    places: list[Place],
    route: list[int],
) -> PlannedRoute:
    """Replay a route to give each stop its arrival, departure and load on board."""
    by_node: dict[int, tuple[_Load, str]] = {}
    for load, req in zip(kept, instance.requests, strict=True):
        by_node[req.pickup] = (load, "pickup")
        by_node[req.delivery] = (load, "delivery")
    vehicle = instance.vehicles[v]
    t = vehicle.shift_start
    prev = vehicle.start
    on_board = 0
    stops = []
    for seq, node in enumerate(route, start=1):
        load, kind = by_node[node]
        arrival = t + float(instance.duration[prev, node])
        departure = max(arrival, float(instance.early[node])) + float(instance.service[node])
        on_board += load.quantity if kind == "pickup" else -load.quantity
        stops.append(
            PlannedStop(
                seq=seq,
                kind="pickup" if kind == "pickup" else "delivery",
                shipment_id=load.shipment.id,
                place=places[node],
                quantity=load.quantity,
                arrival_min=arrival,
                departure_min=departure,
                load_after=on_board,
                load_number=load.number,
            )
        )
        t, prev = departure, node
    end = t + float(instance.duration[prev, vehicle.end])
    return PlannedRoute(
        driver_id=driver.id,
        stops=tuple(stops),
        distance_km=instance.route_distance(v, route),
        duration_min=end - vehicle.shift_start,
        start_min=vehicle.shift_start,
        end_min=end,
    )
