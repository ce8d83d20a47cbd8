"""Plan drivers' pickup-and-delivery tours for the hub's shipments."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.routes.check import check_solution
from matching.routes.instance import Instance, Request, Solution, Vehicle
from matching.routes.matrix import HaversineProvider, MatrixProvider
from matching.routes.model import (
    Driver,
    Ferry,
    Place,
    Plan,
    PlannedRoute,
    PlannedStop,
    Shipment,
    across_sea,
)
from matching.routes.reasons import Reason, ReasonCode, Unassigned
from matching.routes.solvers import Backend, solve

NO_ROOM = Reason(ReasonCode.NO_ROOM)
NO_DRIVER = Reason(ReasonCode.NO_DRIVER)
# Unreachable pairs must not poison the solvers' integer scaling: they become merely very long.
VERY_FAR = 1e7


@dataclass(frozen=True)
class _Load:
    """A shipment, or one load of a batch split to fit the vehicles."""

    shipment: Shipment
    quantity: int
    number: int
    of: int


@dataclass(frozen=True)
class _Travel:
    """Every node's place, and the distances (km) and durations (min) between the nodes.

    Nodes: each driver's start and end (``2k``, ``2k + 1``), then each load's pickup and
    delivery.
    """

    places: list[Place]
    distance: np.ndarray
    duration: np.ndarray


# A driver's verdict on a load: (stage reached, overshoot, reason). Stages: 0 the vehicle is
# too small, 1 the lab, 2 the hospital, 3 the shift.
_Verdict = tuple[int, float, Reason]


def plan_routes(
    shipments: Sequence[Shipment],
    drivers: Sequence[Driver],
    *,
    matrix_provider: MatrixProvider | None = None,
    seconds: float = 2.0,
    split_loads: bool = True,
    backend: Backend = "pyvrp",
    seed: int = 1,
    ferry: Ferry | None = None,
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
        leave it unassigned (``ReasonCode.TOO_BIG``).
    backend
        ``"pyvrp"`` (default) or ``"ortools"``.
    seed
        Solver seed, for reproducible plans.
    ferry
        ``None`` (the default): no leg joins places on different lands (``Place.land``);
        a shipment across the sea is left out (``LAB_ACROSS_SEA``, ``HOSPITAL_ACROSS_SEA``).
        A :class:`Ferry`: such legs are allowed, at its extra time and distance.

    Returns
    -------
    Plan
        Routes (with times on the shared clock) and, for every shipment left out, an
        :class:`Unassigned` with reason codes and figures.

    Raises
    ------
    ValueError
        On duplicate shipment or driver ids.
    """
    _require_unique_ids(shipments, drivers)
    if not shipments:
        return Plan(routes=())
    if not drivers:
        return Plan(routes=(), unassigned={s.id: Unassigned((NO_DRIVER,)) for s in shipments})
    loads, unassigned = _loads(shipments, max(d.capacity for d in drivers), split_loads)
    travel = _travel(drivers, loads, matrix_provider, ferry)
    reasons: dict[str, list[Reason]] = {}  # shipment id -> why each of its loads is left out
    fits = [_fits_alone(load, k, drivers, travel, reasons) for k, load in enumerate(loads)]
    kept = list(itertools.compress(loads, fits))
    instance = _instance(drivers, loads, fits, travel)
    solution = _solve_checked(instance, seconds=seconds, backend=backend, seed=seed)
    for r in solution.unassigned:
        reasons.setdefault(kept[r].shipment.id, []).append(NO_ROOM)
    routes = _routes(drivers, instance, solution, kept, travel.places)
    return Plan(routes=routes, unassigned=unassigned | _left_out(reasons, loads))


def _require_unique_ids(shipments: Sequence[Shipment], drivers: Sequence[Driver]) -> None:
    """Raise ``ValueError`` on duplicate shipment or driver ids."""
    for label, ids in (
        ("shipment", [s.id for s in shipments]),
        ("driver", [d.id for d in drivers]),
    ):
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate {label} ids")


def _loads(
    shipments: Sequence[Shipment], largest: int, split_loads: bool
) -> tuple[list[_Load], dict[str, Unassigned]]:
    """The loads to plan (split when allowed), and the shipments too big for any vehicle."""
    loads: list[_Load] = []
    too_big: dict[str, Unassigned] = {}
    for s in shipments:
        if s.quantity <= largest:
            loads.append(_Load(s, s.quantity, 1, 1))
        elif split_loads:
            loads.extend(_split(s, largest))
        else:
            reason = Reason(ReasonCode.TOO_BIG, units=s.quantity, capacity=largest)
            too_big[s.id] = Unassigned((reason,))
    return loads, too_big


def _split(shipment: Shipment, largest: int) -> list[_Load]:
    """Split into as few loads as fit the largest vehicle, as even as possible."""
    k = math.ceil(shipment.quantity / largest)
    base, extra = divmod(shipment.quantity, k)
    return [_Load(shipment, base + (1 if i < extra else 0), i + 1, k) for i in range(k)]


def _travel(
    drivers: Sequence[Driver],
    loads: list[_Load],
    provider: MatrixProvider | None,
    ferry: Ferry | None = None,
) -> _Travel:
    """Ask the provider (haversine by default) once per distinct place; spread over the nodes.

    Legs between two lands are unreachable, or cost the ferry's time and distance more.
    """
    if provider is None:
        provider = HaversineProvider()
    places: list[Place] = []
    for drv in drivers:
        places += [drv.start, drv.end_place]
    for load in loads:
        places += [load.shipment.pickup, load.shipment.delivery]
    unique = list(dict.fromkeys(places))
    index = {p: i for i, p in enumerate(unique)}
    travel = provider.matrix(unique)
    # The provider sees points only; a road service may even route around a coast.
    distance, duration = travel.distance_km, travel.duration_min
    across = _across_matrix(unique)
    if across is not None:
        if ferry is None:
            distance = np.where(across, math.inf, distance)
            duration = np.where(across, math.inf, duration)
        else:
            distance = distance + across * ferry.km
            duration = duration + across * ferry.minutes
    at = np.array([index[p] for p in places])
    return _Travel(
        places=places,
        distance=distance[np.ix_(at, at)],
        duration=duration[np.ix_(at, at)],
    )


def _across_matrix(places: Sequence[Place]) -> np.ndarray | None:
    """Which pairs of places are on different lands; None when no place has a land."""
    if all(p.land is None for p in places):
        return None
    codes: dict[str, int] = {}
    land = np.array(
        [-1 if p.land is None else codes.setdefault(p.land, len(codes)) for p in places]
    )
    given = land >= 0
    result: np.ndarray = given[:, None] & given[None, :] & (land[:, None] != land[None, :])
    return result


def _load_nodes(drivers: Sequence[Driver], k: int) -> tuple[int, int]:
    """The pickup and delivery nodes of the ``k``-th load."""
    first = 2 * len(drivers) + 2 * k
    return first, first + 1


def _fits_alone(
    load: _Load,
    k: int,
    drivers: Sequence[Driver],
    travel: _Travel,
    reasons: dict[str, list[Reason]],
) -> bool:
    """Tell whether some driver could carry the ``k``-th load alone; else record why not."""
    p, d = _load_nodes(drivers, k)
    why = _solo_reason(load, drivers, travel, p, d)
    if why is not None:
        reasons.setdefault(load.shipment.id, []).append(why)
    return why is None


def _solo_reason(
    load: _Load, drivers: Sequence[Driver], travel: _Travel, p: int, d: int
) -> Reason | None:
    """Why no driver could carry this load even alone, or ``None`` if one can.

    Driver k's start and end are nodes ``2k`` and ``2k + 1``. Of the drivers, the reason
    reported is from the one who gets furthest (lab, then hospital, then shift).
    """
    best: _Verdict | None = None
    for k, drv in enumerate(drivers):
        verdict = _alone(load, drv, travel, p, d, 2 * k, 2 * k + 1)
        if verdict is None:
            return None
        # Furthest stage wins; within a stage, the smallest overshoot.
        if best is None or (verdict[0], -verdict[1]) > (best[0], -best[1]):
            best = verdict
    assert best is not None
    if best[0] == 0:
        largest = max(drv.capacity for drv in drivers)
        return Reason(ReasonCode.TOO_BIG, units=load.quantity, capacity=largest)
    return best[2]


def _alone(
    load: _Load, drv: Driver, travel: _Travel, p: int, d: int, start: int, end: int
) -> _Verdict | None:
    """How far one driver gets with this load alone, or ``None`` if they can carry it."""
    s = load.shipment
    duration, places = travel.duration, travel.places
    if load.quantity > drv.capacity:
        too_big = Reason(ReasonCode.TOO_BIG, units=load.quantity, capacity=drv.capacity)
        return (0, load.quantity - drv.capacity, too_big)
    t0 = drv.shift_start_min
    arrive_p = t0 + duration[start, p]
    if not math.isfinite(arrive_p):
        if across_sea(places[start], places[p]):
            return (1, math.inf, Reason(ReasonCode.LAB_ACROSS_SEA))
        return (1, math.inf, Reason(ReasonCode.LAB_UNREACHABLE))
    if arrive_p > s.pickup_window[1]:
        closed = Reason(
            ReasonCode.LAB_CLOSED, closes_at=s.pickup_window[1], earliest_at=float(arrive_p)
        )
        return (1, arrive_p - s.pickup_window[1], closed)
    leave_p = max(arrive_p, s.pickup_window[0]) + s.pickup_service_min
    arrive_d = leave_p + duration[p, d]
    if not math.isfinite(arrive_d):
        if across_sea(places[p], places[d]):
            return (2, math.inf, Reason(ReasonCode.HOSPITAL_ACROSS_SEA))
        return (2, math.inf, Reason(ReasonCode.HOSPITAL_UNREACHABLE))
    if arrive_d > s.delivery_window[1]:
        closed = Reason(
            ReasonCode.HOSPITAL_CLOSED, closes_at=s.delivery_window[1], earliest_at=float(arrive_d)
        )
        return (2, arrive_d - s.delivery_window[1], closed)
    leave_d = max(arrive_d, s.delivery_window[0]) + s.delivery_service_min
    if not math.isfinite(duration[d, end]) and across_sea(places[d], places[end]):
        return (3, math.inf, Reason(ReasonCode.HOSPITAL_ACROSS_SEA))
    took = leave_d + duration[d, end] - t0
    if took <= drv.available_minutes + 1e-6:
        return None
    too_long = Reason(
        ReasonCode.TOO_LONG,
        trip_minutes=float(took),
        available_minutes=float(drv.available_minutes),
    )
    return (3, took - drv.available_minutes, too_long)


def _instance(
    drivers: Sequence[Driver], loads: list[_Load], fits: list[bool], travel: _Travel
) -> Instance:
    """The solver's instance: every node's window and service; the loads that ``fits``
    (some driver could carry them alone) as requests."""
    n = len(travel.places)
    early, late, service = np.zeros(n), np.full(n, math.inf), np.zeros(n)
    requests: list[Request] = []
    for k, (load, ok) in enumerate(zip(loads, fits, strict=True)):
        p, d = _load_nodes(drivers, k)
        s = load.shipment
        early[p], late[p], service[p] = s.pickup_window[0], s.pickup_window[1], s.pickup_service_min
        early[d], late[d] = s.delivery_window
        service[d] = s.delivery_service_min
        if ok:
            requests.append(Request(pickup=p, delivery=d, quantity=load.quantity))
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
    return Instance(
        distance=np.where(np.isfinite(travel.distance), travel.distance, VERY_FAR),
        duration=np.where(np.isfinite(travel.duration), travel.duration, VERY_FAR),
        early=early,
        late=late,
        service=service,
        requests=tuple(requests),
        vehicles=vehicles,
    )


def _solve_checked(instance: Instance, *, seconds: float, backend: Backend, seed: int) -> Solution:
    """Solve with every request optional, keeping only the routes the checker accepts."""
    if not instance.requests:
        return Solution(routes=tuple(() for _ in instance.vehicles))
    solution = solve(instance, seconds=seconds, backend=backend, seed=seed, optional=True)
    return _drop_infeasible(instance, solution)


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


def _left_out(reasons: dict[str, list[Reason]], loads: list[_Load]) -> dict[str, Unassigned]:
    """Group each shipment's left-out loads: their distinct reasons and how many they are."""
    out: dict[str, Unassigned] = {}
    for sid, whys in reasons.items():
        total = next(ld.of for ld in loads if ld.shipment.id == sid)
        out[sid] = Unassigned(tuple(dict.fromkeys(whys)), loads_out=len(whys), loads=total)
    return out


def _routes(
    drivers: Sequence[Driver],
    instance: Instance,
    solution: Solution,
    kept: list[_Load],
    places: list[Place],
) -> tuple[PlannedRoute, ...]:
    """The planned route of every driver who has work."""
    return tuple(
        _planned(drivers[v], v, instance, kept, places, list(route))
        for v, route in enumerate(solution.routes)
        if route
    )


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
