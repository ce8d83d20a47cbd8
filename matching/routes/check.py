"""An independent feasibility checker for pickup-and-delivery routes.

It shares nothing with the solvers but the :class:`Instance`: it replays each route in
floating point from the vehicle's shift start, so a bug in a solver's scaling, in its
reading of the results, or in the solver itself shows up here as a violation.
"""

from __future__ import annotations

from collections.abc import Iterable

from matching.routes.instance import Instance, Solution

# Floating-point slack: the matrices are sums of square roots, windows are whole numbers.
EPS = 1e-6


def check_solution(
    instance: Instance,
    solution: Solution,
    *,
    allow_unassigned: Iterable[int] = (),
) -> list[str]:
    """Return every violation of the solution (an empty list means feasible).

    Checks that the routes fit the fleet, every request is served exactly once (except those
    in ``allow_unassigned``, indices into ``instance.requests``, which must then be absent),
    each pickup precedes its delivery on the same route, loads stay within ``[0, capacity]``,
    service starts within each node's window (waiting is allowed) and each vehicle is back at
    its end before its shift ends.
    """
    errors: list[str] = []
    if len(solution.routes) > len(instance.vehicles):
        errors.append(
            f"{len(solution.routes)} routes for a fleet of {len(instance.vehicles)} vehicles"
        )
    role: dict[int, tuple[int, bool]] = {}  # node -> (request index, is pickup)
    for r, req in enumerate(instance.requests):
        role[req.pickup] = (r, True)
        role[req.delivery] = (r, False)
    visits: dict[int, int] = {}  # node -> count over all routes
    for v, route in enumerate(solution.routes[: len(instance.vehicles)]):
        if route:
            errors += _replay(instance, v, route, role, visits)
    errors += _visit_errors(instance, visits, set(allow_unassigned))
    return errors


def _replay(
    instance: Instance,
    v: int,
    route: tuple[int, ...],
    role: dict[int, tuple[int, bool]],
    visits: dict[int, int],
) -> list[str]:
    """Replay vehicle ``v``'s route in floating point; count its visits into ``visits``."""
    errors: list[str] = []
    veh = instance.vehicles[v]
    where = f"route #{v + 1}"
    time = veh.shift_start
    prev = veh.start
    load = 0
    on_board: set[int] = set()
    for node in route:
        visits[node] = visits.get(node, 0) + 1
        if node not in role:
            errors.append(f"{where}: node {node} is not a pickup or a delivery")
            continue
        r, is_pickup = role[node]
        time += float(instance.duration[prev, node])
        if time > instance.late[node] + EPS:
            errors.append(
                f"{where}: arrives at node {node} at {time:.3f}, "
                f"after its window closes at {instance.late[node]:.3f}"
            )
        time = max(time, float(instance.early[node])) + float(instance.service[node])
        quantity = instance.requests[r].quantity
        if is_pickup:
            on_board.add(r)
            load += quantity
            if load > veh.capacity:
                errors.append(
                    f"{where}: load {load} after node {node} exceeds capacity {veh.capacity}"
                )
        else:
            if r not in on_board:
                errors.append(
                    f"{where}: delivers node {node} before picking up "
                    f"node {instance.requests[r].pickup} on this route"
                )
            on_board.discard(r)
            load -= quantity
        prev = node
    time += float(instance.duration[prev, veh.end])
    if time > veh.shift_end + EPS:
        errors.append(f"{where}: back at {time:.3f}, after the shift ends at {veh.shift_end:.3f}")
    for r in sorted(on_board):
        errors.append(f"{where}: request {r} is picked up but never delivered")
    return errors


def _visit_errors(instance: Instance, visits: dict[int, int], allowed_out: set[int]) -> list[str]:
    """Every request's nodes visited exactly once, or never for those allowed out."""
    errors: list[str] = []
    for r, req in enumerate(instance.requests):
        for node in (req.pickup, req.delivery):
            count = visits.get(node, 0)
            if r in allowed_out:
                if count:
                    errors.append(f"node {node} of unassigned request {r} is visited")
            elif count != 1:
                errors.append(f"node {node} is visited {count} times, expected once")
    return errors
