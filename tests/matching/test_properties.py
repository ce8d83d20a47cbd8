"""Property tests: every constraint of SPEC section 3, and optimality against an independent LP.

The LP below shares no code with ``matching``: it writes one variable per (need, offer) pair
within the radius, and one cumulative-capacity row per offer and day, straight from the text of
the SPEC, then solves it with HiGHS through ``scipy.optimize.linprog``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

from matching import MatchResult, Need, Offer, greedy, match, match_unpruned
from matching.candidates import solve_pruned, solve_unpruned
from matching.solve import design_problems

WEIGHT = {"critical": 100, "high": 10, "normal": 1}
R_KM = 6371.0088


def km(a_lon: float, a_lat: float, b_lon: float, b_lat: float) -> float:
    """Haversine, written out again on purpose."""
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b_lon - a_lon) / 2) ** 2
    )
    return 2 * R_KM * math.asin(math.sqrt(min(1.0, h)))


def made_by(o: Offer, day: int, horizon: int) -> int:
    """Units an offer has made by the end of ``day``, counting day by day."""
    if day < 0:
        return 0
    total = o.stock
    for t in range(0, min(day, horizon - 1) + 1):
        if t >= o.first_day and (o.last_day is None or t <= o.last_day):
            total += o.units_per_day
    return total


def promised_by(o: Offer, day: int) -> int:
    """Units an offer has promised to earlier work by the end of ``day``."""
    return sum(units for d, units in o.promised if d <= day)


def lp_optimum(
    needs: list[Need], offers: list[Offer], radius: float, lead: int, horizon: int
) -> tuple[float, float]:
    """(objective in km, weighted units served) of the SPEC's problem, by linear programming."""
    pairs = [
        (i, j, km(n.lon, n.lat, o.lon, o.lat))
        for i, n in enumerate(needs)
        for j, o in enumerate(offers)
        if n.design == o.design
        and n.due_day - lead >= 0
        and km(n.lon, n.lat, o.lon, o.lat) <= radius
    ]
    n_x, n_u = len(pairs), len(needs)
    cost = [d for _, _, d in pairs] + [WEIGHT[n.priority] * 100_000.0 for n in needs]
    a_eq = lil_matrix((len(needs), n_x + n_u))
    for k, (i, _, _) in enumerate(pairs):
        a_eq[i, k] = 1
    for i in range(n_u):
        a_eq[i, n_x + i] = 1
    b_eq = [n.quantity for n in needs]
    rows, b_ub = [], []
    # Every day, not only deadlines: promised work due on any day must still be made by then.
    last_day = max([n.due_day for n in needs] + [d for o in offers for d, _ in o.promised])
    for j, o in enumerate(offers):
        for day in range(last_day + 1):
            row = [
                k
                for k, (i, jj, _) in enumerate(pairs)
                if jj == j and needs[i].due_day - lead <= day
            ]
            if row:
                rows.append(row)
                b_ub.append(made_by(o, day, horizon) - promised_by(o, day))
    a_ub = lil_matrix((max(1, len(rows)), n_x + n_u))
    for r, row in enumerate(rows):
        for k in row:
            a_ub[r, k] = 1
    if not rows:
        b_ub = [0.0]
    res = linprog(
        cost,
        A_ub=a_ub.tocsr(),
        b_ub=b_ub,
        A_eq=a_eq.tocsr(),
        b_eq=b_eq,
        bounds=(0, None),
        method="highs",
    )
    assert res.status == 0, res.message
    unmet = res.x[n_x:]
    served = sum(WEIGHT[n.priority] * (n.quantity - u) for n, u in zip(needs, unmet, strict=True))
    return float(res.fun), float(served)


def objective(result: MatchResult, needs: list[Need]) -> float:
    """The SPEC's objective of a result, in km."""
    return (
        sum(WEIGHT[n.priority] * 100_000.0 * result.unmet.get(n.id, 0) for n in needs)
        + result.unit_km
    )


def check_feasible(
    result: MatchResult,
    needs: list[Need],
    offers: list[Offer],
    radius: float,
    lead: int,
    horizon: int,
) -> None:
    """Assert every constraint of SPEC section 3 on ``result``."""
    need_by_id = {n.id: n for n in needs}
    offer_by_key = {(o.lab_id, o.design): o for o in offers}
    served: dict[Hashable, int] = defaultdict(int)
    seen_pairs = set()
    by_offer: dict[tuple[Hashable, str], list[tuple[int, int, int]]] = defaultdict(list)
    unit_km = 0.0
    for a in result.assignments:
        n = need_by_id[a.need_id]
        o = offer_by_key[(a.lab_id, a.design)]
        assert a.design == n.design == o.design, "design"
        assert a.quantity > 0, "quantity"
        assert (a.need_id, a.lab_id) not in seen_pairs, "one assignment per (need, lab)"
        seen_pairs.add((a.need_id, a.lab_id))
        d = km(n.lon, n.lat, o.lon, o.lat)
        assert a.distance_km == pytest.approx(d, abs=1e-6), "distance"
        assert d <= radius + 1e-9, "radius"
        assert 0 <= a.ready_by_day <= n.due_day - lead, "ready_by_day"
        served[a.need_id] += a.quantity
        by_offer[(a.lab_id, a.design)].append((a.ready_by_day, n.due_day - lead, a.quantity))
        unit_km += a.quantity * a.distance_km
    for n in needs:
        assert served[n.id] <= n.quantity, "need over-served"
        assert result.unmet.get(n.id, 0) == n.quantity - served[n.id], "unmet"
    assert all(v > 0 for v in result.unmet.values())
    assert result.unit_km == pytest.approx(unit_km, rel=1e-9, abs=1e-9)
    for key, rows in by_offer.items():
        o = offer_by_key[key]
        last_promise = max((d for d, _ in o.promised), default=0)
        for day in range(0, max(horizon, last_promise, max(r[1] for r in rows)) + 1):
            # Units ready by `day` were made by `day`, and so were units due by `day`, on top
            # of the work promised by `day`.
            ready = sum(q for r, _, q in rows if r <= day)
            due = sum(q for _, dl, q in rows if dl <= day)
            made, promised = made_by(o, day, horizon), promised_by(o, day)
            assert ready + promised <= made, f"capacity by day {day} of {key}"
            assert due + promised <= made, f"deadline capacity by day {day} of {key}"


DESIGNS = ("face-shield-prusa-rc3", "ear-saver")


@st.composite
def keepable_promises(draw: st.DrawFn, offer: Offer, horizon: int) -> list[tuple[int, int]]:
    """Up to two promises the offer can keep: what is due by each day is made by then."""
    promised: list[tuple[int, int]] = []
    for day in sorted(draw(st.lists(st.integers(0, 12), max_size=2, unique=True))):
        room = made_by(offer, day, horizon) - sum(u for _, u in promised)
        promised.append((day, draw(st.integers(0, max(0, room)))))
    return promised


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Need], list[Offer], float, int, int]:
    """Small random instances in a box about 200 km wide, two designs."""
    coord = st.tuples(st.floats(2.0, 4.5), st.floats(46.5, 48.0))
    horizon = draw(st.integers(1, 12))
    n_needs = draw(st.integers(1, 8))
    needs = []
    for i in range(n_needs):
        lon, lat = draw(coord)
        needs.append(
            Need(
                id=i if i % 2 else f"n{i}",
                design=draw(st.sampled_from(DESIGNS)),
                lon=lon,
                lat=lat,
                quantity=draw(st.integers(0, 40)),
                due_day=draw(st.integers(0, 10)),
                priority=draw(st.sampled_from(tuple(WEIGHT))),
            )
        )
    offers = []
    for j in range(draw(st.integers(0, 6))):
        lon, lat = draw(coord)
        first = draw(st.integers(0, 6))
        last = draw(st.one_of(st.none(), st.integers(first, first + 6)))
        for design in draw(st.sets(st.sampled_from(DESIGNS), min_size=1)):
            offer = Offer(
                f"lab{j}",
                design,
                lon,
                lat,
                draw(st.integers(0, 8)),
                first,
                last,
                draw(st.integers(0, 15)),
            )
            offers.append(replace(offer, promised=draw(keepable_promises(offer, horizon))))
    radius = draw(st.sampled_from([50.0, 120.0, 250.0]))
    return needs, offers, radius, draw(st.integers(0, 2)), horizon


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances(), st.booleans())
def test_match_is_feasible_and_equals_the_lp_optimum(
    inst: tuple[list[Need], list[Offer], float, int, int], prune: bool
) -> None:
    """match meets every constraint and reaches the LP's optimum, whatever ``prune`` says."""
    needs, offers, radius, lead, horizon = inst
    result = match(
        needs, offers, max_distance_km=radius, lead_days=lead, horizon_days=horizon, prune=prune
    )
    check_feasible(result, needs, offers, radius, lead, horizon)
    lp_obj, lp_served = lp_optimum(needs, offers, radius, lead, horizon)
    assert result.weighted_served(needs) == pytest.approx(lp_served, abs=1e-6)
    # The solver rounds distances to the metre: at most 0.5 m of unit-km per unit served.
    units = sum(a.quantity for a in result.assignments)
    assert objective(result, needs) == pytest.approx(lp_obj, rel=1e-9, abs=0.0005 * units + 1e-6)


@SETTINGS
@given(instances())
def test_unpruned_and_greedy_are_feasible(
    inst: tuple[list[Need], list[Offer], float, int, int],
) -> None:
    """The reference (OR-Tools) reaches match's optimum (LEMON) feasibly; greedy is no better."""
    needs, offers, radius, lead, horizon = inst
    exact = match_unpruned(
        needs, offers, max_distance_km=radius, lead_days=lead, horizon_days=horizon
    )
    check_feasible(exact, needs, offers, radius, lead, horizon)
    fast = match(needs, offers, max_distance_km=radius, lead_days=lead, horizon_days=horizon)
    assert exact.weighted_served(needs) == fast.weighted_served(needs)
    units = sum(a.quantity for a in exact.assignments)
    assert objective(exact, needs) == pytest.approx(
        objective(fast, needs), rel=1e-9, abs=0.001 * units + 1e-6
    )
    base = greedy(needs, offers, max_distance_km=radius, lead_days=lead, horizon_days=horizon)
    check_feasible(base, needs, offers, radius, lead, horizon)
    # The exact solvers cost distances in whole metres, greedy in float km: greedy may come
    # out ahead by the rounding, at most half a metre per unit (seen: 7.6e-4 unit-km).
    assert objective(base, needs) >= objective(exact, needs) - (0.0005 * units + 1e-6)


@st.composite
def crowded(draw: st.DrawFn) -> tuple[list[Need], list[Offer]]:
    """One design, many needs and labs close together: nearest candidates are not enough."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, m = draw(st.integers(5, 40)), draw(st.integers(2, 25))
    lon, lat = rng.uniform(2, 3.5, size=n + m), rng.uniform(46.5, 47.5, size=n + m)
    needs = [
        Need(i, "ear-saver", float(lon[i]), float(lat[i]), int(rng.integers(0, 60)),
             int(rng.integers(0, 12)), str(rng.choice(list(WEIGHT))))
        for i in range(n)
    ]  # fmt: skip
    offers = [
        Offer(j, "ear-saver", float(lon[n + j]), float(lat[n + j]), int(rng.integers(0, 6)),
              int(rng.integers(0, 5)), None, int(rng.integers(0, 20)))
        for j in range(m)
    ]  # fmt: skip
    return needs, offers


@settings(max_examples=60, deadline=None)
@given(crowded(), st.integers(1, 3), st.integers(0, 2), st.integers(1, 4))
def test_pricing_restores_the_unpruned_optimum(
    inst: tuple[list[Need], list[Offer]], k_need: int, k_offer: int, add: int
) -> None:
    """From one or two nearest labs per need, pricing grows the candidates to the exact optimum."""
    needs, offers = inst
    for prob in design_problems(needs, offers, 80.0, 1, 14):
        pruned, _ = solve_pruned(prob, k_need, k_offer, add)
        full = solve_unpruned(prob)
        # Same integer objective (metres), hence the same weighted units served and unit-km.
        pen = np.zeros(len(prob.quantity), dtype=np.int64)
        np.add.at(pen, prob.pair_need, pruned)
        cost_p = int((pruned * prob.pair_cost).sum()) + int(
            ((prob.quantity - pen) * prob.penalty).sum()
        )
        pen[:] = 0
        np.add.at(pen, prob.pair_need, full)
        cost_f = int((full * prob.pair_cost).sum()) + int(
            ((prob.quantity - pen) * prob.penalty).sum()
        )
        assert cost_p == cost_f
