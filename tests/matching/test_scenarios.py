"""Small named scenarios whose optimum is computed by hand in each docstring.

Positions are on the equator, where 1 degree of longitude is 2·π·6371.0088/360 ≈ 111.195 km,
so distances are easy to reason about.
"""

from __future__ import annotations

import functools
import math

import pytest

from matching import Assignment, Need, Offer, greedy, match, match_unpruned

KM_PER_DEG = 2 * math.pi * 6371.0088 / 360
SHIELD = "face-shield-prusa-rc3"


def at(km: float) -> tuple[float, float]:
    """(lon, lat) of a point ``km`` east of (0, 0) along the equator."""
    return km / KM_PER_DEG, 0.0


def need(
    id: object, km: float, quantity: int, due: int, priority: str = "normal", design: str = SHIELD
) -> Need:
    return Need(id, design, *at(km), quantity=quantity, due_day=due, priority=priority)  # type: ignore[arg-type]


def offer(lab: object, km: float, rate: int, **kw: object) -> Offer:
    design = str(kw.pop("design", SHIELD))
    return Offer(lab, design, *at(km), units_per_day=rate, **kw)  # type: ignore[arg-type]


#: Every way of solving exactly: pruned with pricing, every pair at once (the default, LEMON's
#: network simplex), and the sequential reference with OR-Tools and with LEMON.
SOLVERS = [
    functools.partial(match, prune=True),
    match,
    match_unpruned,
    functools.partial(match_unpruned, engine="lemon"),
]


@pytest.mark.parametrize("solve", SOLVERS)
def test_one_lab_two_hospitals_critical_wins(solve: object) -> None:
    """One lab makes 10 units by the deadline; the critical need 50 km away gets them all,
    although a normal need sits next door."""
    needs = [need("near", 1.0, 10, due=2), need("far", 50.0, 10, due=2, priority="critical")]
    labs = [offer("lab", 0.0, 5)]  # days 0 and 1 -> 10 units by due 2 - lead 1
    result = solve(needs, labs)  # type: ignore[operator]
    assert [(a.need_id, a.quantity) for a in result.assignments] == [("far", 10)]
    assert result.unmet == {"near": 10}
    assert result.unit_km == pytest.approx(500.0, rel=1e-6)


@pytest.mark.parametrize("solve", SOLVERS)
def test_nearest_lab_serves_when_capacity_suffices(solve: object) -> None:
    """Two labs at 10 and 30 km, each able to cover the need: the nearer one serves it all."""
    result = solve([need(1, 0.0, 20, due=5)], [offer("A", 10.0, 10), offer("B", 30.0, 10)])  # type: ignore[operator]
    assert result.assignments == [Assignment(1, "A", SHIELD, 20, pytest.approx(10.0), 1)]  # type: ignore[arg-type]
    assert result.unmet == {}
    assert result.unit_km == pytest.approx(200.0)


@pytest.mark.parametrize("solve", SOLVERS)
def test_split_across_labs_by_day_capacity(solve: object) -> None:
    """Need of 30 due day 3 (made by day 2): lab A (5 km) makes 3 x 6 = 18, lab B (20 km)
    makes the other 12; unit-km = 18·5 + 12·20 = 330."""
    result = solve([need(1, 0.0, 30, due=3)], [offer("A", 5.0, 6), offer("B", 20.0, 10)])  # type: ignore[operator]
    got = {a.lab_id: a.quantity for a in result.assignments}
    assert got == {"A": 18, "B": 12}
    assert result.unit_km == pytest.approx(330.0)


@pytest.mark.parametrize("solve", SOLVERS)
def test_promised_work_due_later_leaves_room_now(solve: object) -> None:
    """Lab A (5 km) makes 4 a day and owes 8 units by day 5, of the 24 it makes by then.
    Deadline-first, need 1 (at 0 km, 10 due day 2, so made by day 1: 8 made) gets all 8 of
    them: the promise is still kept from days 2 to 5. Need 2 (at 10 km, 16 due day 6) gets
    A's other 24 - 8 - 8 = 8 free units; lab B (50 km) makes the rest. A unit of A is worth
    45 km to need 1 and 35 km to need 2, so no other split is as short."""
    needs = [need(1, 0.0, 10, due=2), need(2, 10.0, 16, due=6)]
    labs = [offer("A", 5.0, 4, promised=[(5, 8)]), offer("B", 50.0, 20)]
    result = solve(needs, labs)  # type: ignore[operator]
    got = {(a.need_id, a.lab_id): a.quantity for a in result.assignments}
    assert got == {(1, "A"): 8, (1, "B"): 2, (2, "A"): 8, (2, "B"): 8}
    assert result.unmet == {}


@pytest.mark.parametrize("solve", SOLVERS)
def test_promised_part_day_is_not_wasted(solve: object) -> None:
    """A makes 4 a day and owes 3 by day 0: the day's fourth unit is free for a need due day 1
    (made by day 0); rounding the promise up to whole days would have lost it."""
    labs = [offer("A", 5.0, 4, promised=[(0, 3)])]
    result = solve([need(1, 0.0, 5, due=1)], labs)  # type: ignore[operator]
    assert [(a.lab_id, a.quantity, a.ready_by_day) for a in result.assignments] == [("A", 1, 0)]
    assert result.unmet == {1: 4}


@pytest.mark.parametrize("solve", SOLVERS)
def test_lead_time_and_stock(solve: object) -> None:
    """Due day 1 with a lead of 1 day leaves only day 0: stock 4 plus one day of 3 = 7 units."""
    result = solve([need(1, 0.0, 10, due=1)], [offer("A", 1.0, 3, stock=4)])  # type: ignore[operator]
    assert [a.quantity for a in result.assignments] == [7]
    assert result.assignments[0].ready_by_day == 0
    assert result.unmet == {1: 3}


@pytest.mark.parametrize("solve", SOLVERS)
def test_due_before_lead_time_is_unmet(solve: object) -> None:
    """A need due on day 0 with a lead of one day cannot be served, even from stock."""
    result = solve([need(1, 0.0, 5, due=0)], [offer("A", 1.0, 3, stock=100)])  # type: ignore[operator]
    assert result.assignments == []
    assert result.unmet == {1: 5}


@pytest.mark.parametrize("solve", SOLVERS)
def test_radius_and_design_exclude(solve: object) -> None:
    """A lab 250 km away is out of the default 200 km radius; a lab of another design is
    ignored, however close."""
    labs = [offer("far", 250.0, 100), offer("other", 0.0, 100, design="ear-saver")]
    result = solve([need(1, 0.0, 5, due=5)], labs)  # type: ignore[operator]
    assert result.assignments == []
    assert result.unmet == {1: 5}


@pytest.mark.parametrize("solve", SOLVERS)
def test_earlier_deadline_gets_the_early_units(solve: object) -> None:
    """Lab makes 5/day. Need a (10 units, due 2) needs days 0-1; need b (10, due 5) takes
    days 2-3: ready_by_day 1 for a and 3 for b. Nearest-first would not care about order."""
    needs = [need("b", 0.0, 10, due=5), need("a", 0.0, 10, due=2)]
    result = solve(needs, [offer("L", 2.0, 5)])  # type: ignore[operator]
    ready = {a.need_id: (a.quantity, a.ready_by_day) for a in result.assignments}
    assert ready == {"a": (10, 1), "b": (10, 3)}


@pytest.mark.parametrize("solve", SOLVERS)
def test_horizon_and_last_day_stop_production(solve: object) -> None:
    """Lab A works days 0..2 (last_day 2), lab B until the horizon of 4 days (days 0..3):
    by day 9 they make 3 + 4 = 7 units."""
    labs = [offer("A", 1.0, 1, last_day=2), offer("B", 2.0, 1)]
    result = solve([need(1, 0.0, 20, due=10)], labs, horizon_days=4)  # type: ignore[operator]
    assert sum(a.quantity for a in result.assignments) == 7
    assert result.unmet == {1: 13}


@pytest.mark.parametrize("solve", SOLVERS)
def test_far_lab_freed_for_the_need_only_it_reaches(solve: object) -> None:
    """Need X (10 units) is reached by labs A (0 km) and B (150 km); need Y only by B
    (at 190 km, Y is 340 km from A). Each lab makes 10 units. Optimum: A serves X, B serves Y
    (unit-km 1900), not B serving X (nearest for nobody), and nothing unmet."""
    needs = [need("X", 0.0, 10, due=2), need("Y", 340.0, 10, due=2)]
    labs = [offer("A", 0.0, 5), offer("B", 150.0, 5)]
    result = solve(needs, labs)  # type: ignore[operator]
    assert {(a.need_id, a.lab_id, a.quantity) for a in result.assignments} == {
        ("X", "A", 10),
        ("Y", "B", 10),
    }
    assert result.unmet == {}
    assert result.unit_km == pytest.approx(1900.0, rel=1e-6)


def test_greedy_is_nearest_first_and_can_lose() -> None:
    """Each lab makes 10 units in time. Need X (listed first) has lab B at 150 km and lab A
    at 160 km on its other side; need Y, 340 km east of X, reaches only B (190 km). Greedy
    gives X its nearest lab B, leaving Y unmet; the optimum serves X from A and Y from B."""
    needs = [need("X", 0.0, 10, due=2), need("Y", 340.0, 10, due=2)]
    labs = [offer("B", 150.0, 5), offer("A", -160.0, 5)]
    g = greedy(needs, labs)
    assert {(a.need_id, a.lab_id) for a in g.assignments} == {("X", "B")}
    assert g.unmet == {"Y": 10}
    best = match(needs, labs)
    assert {(a.need_id, a.lab_id) for a in best.assignments} == {("X", "A"), ("Y", "B")}
    assert best.unmet == {}


def test_empty_inputs() -> None:
    """No needs or no offers: nothing assigned, every need unmet."""
    assert match([], []).assignments == []
    assert match([need(1, 0.0, 3, due=4)], []).unmet == {1: 3}
    assert match([need(1, 0.0, 0, due=4)], [offer("A", 0.0, 1)]).unmet == {}
