"""``match``: validate, split by design, solve each design exactly, assemble the result.

Rounding: the solver works in integer metres. Each distance is rounded to the metre, so the
reported unit-km (computed from exact distances) may exceed the exact optimum by at most
0.0005 km per unit served, a relative error below 1e-5 at national scale. The penalty of one
weighted unit (1e8 m) dwarfs any distance (at most ``max_distance_km``), so rounding does not
trade weighted units served for distance.
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Final

import numpy as np
from numpy.typing import NDArray

from matching.candidates import solve_pruned, solve_unpruned
from matching.flow import Engine
from matching.problem import DesignProblem, build_problem
from matching.types import Assignment, MatchResult, Need, Offer
from matching.workers import WorkerPool

IntArray = NDArray[np.int64]


def check_inputs(
    needs: Sequence[Need],
    offers: Sequence[Offer],
    max_distance_km: float,
    lead_days: int,
    horizon_days: int,
) -> None:
    """Raise ``ValueError`` naming the culprit for anything ``match`` cannot take."""
    for n in needs:
        if not isinstance(n, Need):
            raise ValueError(f"needs must hold Need instances, got {n!r}")
    for o in offers:
        if not isinstance(o, Offer):
            raise ValueError(f"offers must hold Offer instances, got {o!r}")
    seen_needs: set[Hashable] = set()
    for n in needs:
        if n.id in seen_needs:
            raise ValueError(f"duplicate need id {n.id!r}")
        seen_needs.add(n.id)
    seen_offers: set[tuple[Hashable, str]] = set()
    for o in offers:
        key = (o.lab_id, o.design)
        if key in seen_offers:
            raise ValueError(f"duplicate offer for lab {o.lab_id!r} and design {o.design!r}")
        seen_offers.add(key)
    if not (isinstance(max_distance_km, int | float) and np.isfinite(max_distance_km)):
        raise ValueError(f"max_distance_km must be a finite number, got {max_distance_km!r}")
    if max_distance_km < 0:
        raise ValueError(f"max_distance_km must be at least 0, got {max_distance_km}")
    for name, value in (("lead_days", lead_days), ("horizon_days", horizon_days)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name} must be an integer at least 0, got {value!r}")


def design_problems(
    needs: Sequence[Need],
    offers: Sequence[Offer],
    max_distance_km: float,
    lead_days: int,
    horizon_days: int,
    sea_crossing_km: float | None = None,
) -> list[DesignProblem]:
    """One independent problem per design that has both needs and offers."""
    needs_of: dict[str, list[int]] = defaultdict(list)
    offers_of: dict[str, list[int]] = defaultdict(list)
    for i, n in enumerate(needs):
        needs_of[n.design].append(i)
    for j, o in enumerate(offers):
        offers_of[o.design].append(j)
    return [
        build_problem(
            [needs[i] for i in needs_of[d]],
            needs_of[d],
            [offers[j] for j in offers_of[d]],
            offers_of[d],
            max_distance_km,
            lead_days,
            int(horizon_days),
            sea_crossing_km,
        )
        for d in sorted(needs_of)
        if d in offers_of
    ]


def ready_days(
    prob: DesignProblem, offers: Sequence[Offer], pair: IntArray, flow: IntArray
) -> IntArray:
    """Earliest day each positive-flow pair's units are made, each lab working deadline-first.

    A lab makes its assignments and its promised work in order of deadline; the units of an
    assignment are all made once its cumulative production reaches everything due before
    them. The flow respects what is free at every deadline, hence ready <= deadline.
    """
    offer = prob.pair_offer[pair]
    order = np.lexsort(
        (prob.need_index[prob.pair_need[pair]], prob.level[prob.pair_need[pair]], offer)
    )
    cum = np.empty(len(pair), dtype=np.int64)
    sorted_offer = offer[order]
    csum = np.cumsum(flow[order])
    starts = np.flatnonzero(np.r_[True, sorted_offer[1:] != sorted_offer[:-1]])
    before = np.repeat(np.r_[0, csum][starts], np.diff(np.r_[starts, len(order)]))
    cum[order] = csum - before
    src = [offers[k] for k in prob.offer_index[offer]]
    # Promised work due by the same deadline is made first: it counts before these units.
    deadline = prob.days[prob.level[prob.pair_need[pair]]]
    cum += np.array(
        [o.promised_by(int(d)) if o.promised else 0 for o, d in zip(src, deadline, strict=True)],
        dtype=np.int64,
    )
    stock = np.array([o.stock for o in src], dtype=np.int64)
    rate = np.array([o.units_per_day for o in src], dtype=np.int64)
    first = np.array([o.first_day for o in src], dtype=np.int64)
    # Units beyond the stock need ceil((cum - stock) / rate) production days from first_day.
    extra = np.maximum(cum - stock, 0)
    days_needed = -(-extra // np.maximum(rate, 1))
    return np.where(extra == 0, 0, first + days_needed - 1)


def assemble(
    needs: Sequence[Need],
    offers: Sequence[Offer],
    problems: Sequence[DesignProblem],
    pair_flows: Sequence[IntArray],
) -> MatchResult:
    """Turn per-design pair flows into a ``MatchResult``."""
    rows: list[tuple[int, int, Assignment]] = []
    served = np.zeros(len(needs), dtype=np.int64)
    unit_km = 0.0
    for prob, flow in zip(problems, pair_flows, strict=True):
        pair = np.flatnonzero(flow > 0)
        qty = flow[pair]
        need_pos = prob.need_index[prob.pair_need[pair]]
        offer_pos = prob.offer_index[prob.pair_offer[pair]]
        km = prob.pair_km[pair]
        ready = ready_days(prob, offers, pair, flow[pair])
        np.add.at(served, need_pos, qty)
        unit_km += float(np.dot(qty, km))
        for i, j, q, d, r in zip(
            need_pos.tolist(),
            offer_pos.tolist(),
            qty.tolist(),
            km.tolist(),
            ready.tolist(),
            strict=True,
        ):
            a = Assignment(
                need_id=needs[i].id,
                lab_id=offers[j].lab_id,
                design=offers[j].design,
                quantity=q,
                distance_km=d,
                ready_by_day=r,
            )
            rows.append((i, j, a))
    rows.sort(key=lambda row: (row[0], row[1]))
    unmet = {
        n.id: n.quantity - int(s)
        for n, s in zip(needs, served.tolist(), strict=True)
        if n.quantity - int(s) > 0
    }
    return MatchResult(assignments=[a for _, _, a in rows], unmet=unmet, unit_km=unit_km)


#: Below this many (need, offer) pairs in all, designs are solved in this process: starting
#: worker processes (about half a second, mostly importing numpy, SciPy and pylmcf) and
#: sending them the problems would cost more than the solve.
PARALLEL_MIN_PAIRS: Final[int] = 200_000


def solve_pruned_flow(prob: DesignProblem) -> IntArray:
    """Pair flows of ``solve_pruned``, a module-level function so worker processes can run it."""
    return solve_pruned(prob)[0]


def solve_unpruned_ortools(prob: DesignProblem) -> IntArray:
    """Pair flows of ``solve_unpruned`` with OR-Tools, the reference's solver."""
    return solve_unpruned(prob, "ortools")


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pair_bound(needs: Sequence[Need], offers: Sequence[Offer]) -> tuple[int, int]:
    """(needs x offers summed over designs, designs with both): known before any geometry."""
    n_needs = Counter(n.design for n in needs)
    n_offers = Counter(o.design for o in offers)
    shared = [d for d in n_needs if d in n_offers]
    return sum(n_needs[d] * n_offers[d] for d in shared), len(shared)


def worker_count(pairs: int, designs: int) -> int:
    """Processes worth using: one per available core, at most one per design, 1 if small."""
    if pairs < PARALLEL_MIN_PAIRS:
        return 1
    return max(1, min(available_cores(), designs))


def start_pool(workers: int) -> WorkerPool:
    """Worker processes that start now, importing the solvers meanwhile.

    They are plain subprocesses that import ``matching`` only (see ``matching.workers`` for
    why not ``multiprocessing``): ``match`` then works from a script without a main guard, a
    notebook or a thread alike, and a worker that dies leaves its design to this process.
    """
    return WorkerPool(workers)


def solve_all(
    problems: Sequence[DesignProblem],
    solver: Callable[[DesignProblem], IntArray],
    workers: int,
    pool: WorkerPool | None = None,
) -> list[IntArray]:
    """Solve each design, in a pool of ``workers`` processes when it is more than one.

    Designs are independent problems, so solving them side by side changes no answer. The
    largest designs are submitted first, so that the long solves start early and the small
    ones fill in around them. ``pool`` is an already started one (``start_pool``), else one
    is started here. ``solver`` must be a module-level function (it is pickled by name).
    """
    if workers <= 1 or len(problems) <= 1:
        return [solver(prob) for prob in problems]
    order = sorted(range(len(problems)), key=lambda k: -len(problems[k].pair_need))
    own = pool is None
    executor = start_pool(workers) if pool is None else pool
    try:
        solved = executor.map(solver, [problems[k] for k in order])
    finally:
        if own:
            executor.shutdown()
    flows: list[IntArray] = [np.zeros(0, dtype=np.int64)] * len(problems)
    for k, flow in zip(order, solved, strict=True):
        flows[k] = flow
    return flows


def _run(
    needs: Sequence[Need],
    offers: Sequence[Offer],
    max_distance_km: float,
    lead_days: int,
    horizon_days: int,
    solver: Callable[[DesignProblem], IntArray],
    parallel: bool,
    sea_crossing_km: float | None = None,
) -> MatchResult:
    needs, offers = list(needs), list(offers)
    check_inputs(needs, offers, max_distance_km, lead_days, horizon_days)
    _check_crossing(sea_crossing_km)
    # Workers take about half a second to start (importing numpy, SciPy and pylmcf): start them
    # from an upper bound on the pairs, so that they start while this process finds the
    # pairs within the radius, and drop them if the true count turns out small.
    workers = worker_count(*pair_bound(needs, offers)) if parallel else 1
    pool: WorkerPool | None = None
    if workers > 1:
        try:
            pool = start_pool(workers)
        except OSError:
            # No interpreter to start (an embedded Python, a process limit): solve here.
            workers = 1
    finished = False
    try:
        problems = design_problems(
            needs, offers, max_distance_km, lead_days, horizon_days, sea_crossing_km
        )
        pairs = sum(len(p.pair_need) for p in problems)
        if pairs < PARALLEL_MIN_PAIRS or len(problems) <= 1:
            workers = 1
        flows = solve_all(problems, solver, workers, pool)
        finished = True
    finally:
        if pool is not None:
            # Unused workers may still be starting, and after an error (an interrupt) nobody
            # wants their answers: do not wait for them then.
            pool.shutdown(wait=finished and workers > 1)
    return assemble(needs, offers, problems, flows)


def match(
    needs: Sequence[Need],
    offers: Sequence[Offer],
    max_distance_km: float = 200.0,
    lead_days: int = 1,
    horizon_days: int = 28,
    *,
    prune: bool = False,
    sea_crossing_km: float | None = None,
) -> MatchResult:
    """Assign offers' production to needs, exactly optimal for SPEC section 3's objective.

    Minimises ``sum_i w_i * 100000 * unmet_i + sum_ij x_ij * d_ij`` (w = 100, 10, 1 for
    critical, high, normal; d in km, haversine), subject to: offers serve needs of their own
    design within ``max_distance_km``; a unit made on day t serves need i only if
    ``t <= due_day_i - lead_days``; production happens on days
    ``first_day..min(last_day, horizon_days - 1)``, stock counting as made on day 0.

    Each design is an independent time-expanded min-cost flow over every pair within the
    radius, solved exactly by LEMON's network simplex (see ``matching.flow``), or, with
    ``prune=True``, over a pruned candidate set that pricing with node potentials grows until
    it provably contains the optimum (see ``matching.candidates``). On large inputs
    the designs are solved in parallel, one worker process per available core; small inputs
    stay in this process. The workers never import the caller's main module, so ``match``
    works alike from a script without an ``if __name__ == "__main__":`` guard, a notebook or
    a thread; a worker that dies leaves its design to this process (``matching.workers``).

    Parameters
    ----------
    needs, offers
        The demand and the capacity. Need ids are unique; (lab_id, design) is unique.
    max_distance_km
        Farthest a lab may be from a need it serves.
    lead_days
        Days between a unit being made and its due day.
    horizon_days
        Production stops on day ``horizon_days - 1``.
    prune
        ``True``: grow a pruned candidate set by pricing; ``False`` (the default): give the
        solver every pair within the radius at once, measured faster at every radius tried.
        Both are exact.
    sea_crossing_km
        ``None`` (the default): a need and an offer on different lands (``land``, both given)
        are never paired. A number: they may be, each unit costing that many km more (a
        ferry); ``distance_km`` and ``unit_km`` stay the great-circle figures.

    Returns
    -------
    MatchResult
        Assignments, unmet units per need, and unit-km.

    Raises
    ------
    ValueError
        On duplicate ids, bad parameters, or anything that is not a ``Need``/``Offer``.

    Notes
    -----
    Distances are rounded to the metre: see the module docstring for the error this allows.
    """
    if not isinstance(prune, bool):
        raise ValueError(f"prune must be True or False, got {prune!r}")
    solver = solve_pruned_flow if prune else solve_unpruned
    return _run(
        needs,
        offers,
        max_distance_km,
        lead_days,
        horizon_days,
        solver,
        parallel=True,
        sea_crossing_km=sea_crossing_km,
    )


def match_unpruned(
    needs: Sequence[Need],
    offers: Sequence[Offer],
    max_distance_km: float = 200.0,
    lead_days: int = 1,
    horizon_days: int = 28,
    *,
    engine: Engine = "ortools",
    sea_crossing_km: float | None = None,
) -> MatchResult:
    """Reference exact solver: every pair within the radius, one design after another.

    The textbook formulation (``match``'s network), deliberately kept sequential, in this
    process, and by default solved by OR-Tools' cost scaling, the solver the matcher was first
    built on: it is the yardstick the benchmark measures ``match`` against, and an independent
    solver for the tests to check ``match`` with. ``engine="lemon"`` solves it with ``match``'s
    own solver instead, the benchmark's second yardstick.
    """
    if engine not in ("ortools", "lemon"):
        raise ValueError(f"engine must be 'ortools' or 'lemon', got {engine!r}")
    solver = solve_unpruned_ortools if engine == "ortools" else solve_unpruned
    return _run(
        needs,
        offers,
        max_distance_km,
        lead_days,
        horizon_days,
        solver,
        parallel=False,
        sea_crossing_km=sea_crossing_km,
    )


def _check_crossing(sea_crossing_km: float | None) -> None:
    """Raise ``ValueError`` unless the crossing cost is None or a finite number at least 0."""
    if sea_crossing_km is None:
        return
    if (
        isinstance(sea_crossing_km, bool)
        or not isinstance(sea_crossing_km, int | float)
        or not math.isfinite(sea_crossing_km)
        or sea_crossing_km < 0
    ):
        raise ValueError(
            f"sea_crossing_km must be None or a finite number at least 0, got {sea_crossing_km!r}"
        )
