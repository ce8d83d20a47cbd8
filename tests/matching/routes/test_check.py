"""The feasibility checker must accept best-known solutions and reject broken ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching.routes import Instance, Request, Solution, Vehicle, check_solution
from matching.routes.vrpfile import read_instance, read_solution


@pytest.mark.parametrize("name", ["lc101", "lr101", "lrc101"])
def test_best_known_solutions_are_feasible_and_cost_what_they_say(
    pdptw_dir: Path, name: str
) -> None:
    instance = read_instance(pdptw_dir / f"{name}.vrp")
    solution, cost = read_solution(pdptw_dir / f"{name}.sol")
    assert check_solution(instance, solution) == []
    assert cost is not None
    # The .sol costs were rounded edge by edge; ours sums exact floats: within a few units.
    assert abs(solution.distance(instance) * 1000 - cost) <= 10


def _mutated(solution: Solution, route: int, i: int, j: int) -> Solution:
    routes = [list(r) for r in solution.routes]
    routes[route][i], routes[route][j] = routes[route][j], routes[route][i]
    return Solution(routes=tuple(tuple(r) for r in routes))


def test_swapping_a_pickup_after_its_delivery_is_caught(pdptw_dir: Path) -> None:
    instance = read_instance(pdptw_dir / "lc101.vrp")
    solution, _ = read_solution(pdptw_dir / "lc101.sol")
    req = instance.requests[0]
    route = next(k for k, r in enumerate(solution.routes) if req.pickup in r)
    nodes = solution.routes[route]
    broken = _mutated(solution, route, nodes.index(req.pickup), nodes.index(req.delivery))
    errors = check_solution(instance, broken)
    assert any("before picking up" in e for e in errors)


def test_a_missing_request_and_a_duplicate_are_caught(pdptw_dir: Path) -> None:
    instance = read_instance(pdptw_dir / "lr101.vrp")
    solution, _ = read_solution(pdptw_dir / "lr101.sol")
    routes = [list(r) for r in solution.routes]
    req = instance.requests[3]
    for r in routes:
        if req.pickup in r:
            r.remove(req.pickup)
            r.remove(req.delivery)
    routes[0] = routes[0] + [routes[1][0]]
    errors = check_solution(instance, Solution(routes=tuple(tuple(r) for r in routes)))
    assert any(f"node {req.pickup} is visited 0 times" in e for e in errors)
    assert any("visited 2 times" in e for e in errors)


def test_reversing_a_tight_route_breaks_time_windows(pdptw_dir: Path) -> None:
    instance = read_instance(pdptw_dir / "lc101.vrp")
    solution, _ = read_solution(pdptw_dir / "lc101.sol")
    routes = list(solution.routes)
    routes[0] = tuple(reversed(routes[0]))
    errors = check_solution(instance, Solution(routes=tuple(routes)))
    assert errors  # precedence and/or windows: a reversed route cannot stay feasible


def test_too_many_routes_for_the_fleet(pdptw_dir: Path) -> None:
    instance = read_instance(pdptw_dir / "lc101.vrp")
    one_by_one = tuple((r.pickup, r.delivery) for r in instance.requests)
    errors = check_solution(instance, Solution(routes=one_by_one))
    assert any("for a fleet of 25 vehicles" in e for e in errors)


def _line(capacity: int, shift_end: float = 100.0) -> Instance:
    """Depot 0 at x=0, two requests on a line: 1 -> 2 and 3 -> 4, 10 units each."""
    xs = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    dist = np.abs(xs[:, None] - xs[None, :])
    return Instance(
        distance=dist,
        duration=dist.copy(),
        early=np.zeros(5),
        late=np.array([100.0, 100.0, 100.0, 100.0, 2.5]),
        service=np.zeros(5),
        requests=(Request(1, 2, 10), Request(3, 4, 10)),
        vehicles=(Vehicle(0, 0, capacity, 0.0, shift_end),),
    )


def test_capacity_window_and_shift_violations_are_named() -> None:
    both_on_board = Solution(routes=((1, 3, 2, 4),))
    errors = check_solution(_line(capacity=15), both_on_board)
    assert any("exceeds capacity 15" in e for e in errors)
    assert any("after its window closes" in e for e in errors)  # node 4 closes at 2.5
    late = check_solution(
        _line(capacity=15, shift_end=3.5), Solution(routes=((1, 2),)), allow_unassigned=[1]
    )
    assert any("after the shift ends" in e for e in late)
    assert (
        check_solution(_line(capacity=15), Solution(routes=((1, 2),)), allow_unassigned=[1]) == []
    )
