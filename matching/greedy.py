"""Nearest-first greedy baseline: the benchmark's yardstick, not an optimiser."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from matching.problem import DesignProblem
from matching.solve import assemble, check_inputs, design_problems
from matching.types import MatchResult, Need, Offer

IntArray = NDArray[np.int64]


def greedy_design(prob: DesignProblem, needs: Sequence[Need]) -> IntArray:
    """Flow per pair: needs by priority then due day, each taking from its nearest labs.

    A lab's slack at level k is what it has made by ``days[k]`` minus what it has promised to
    deadlines up to ``days[k]``; serving a need at level k uses slack at every level >= k.
    """
    n_pairs = len(prob.pair_need)
    flow = np.zeros(n_pairs, dtype=np.int64)
    if n_pairs == 0:
        return flow
    slack = np.cumsum(prob.production, axis=1)
    bounds = np.searchsorted(prob.pair_need, np.arange(len(prob.quantity) + 1))
    weight = np.array([needs[k].weight for k in prob.need_index.tolist()], dtype=np.int64)
    order = np.lexsort((prob.need_index, prob.days[prob.level], -weight))
    for i in order.tolist():
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        if lo == hi:
            continue
        k = int(prob.level[i])
        labs = prob.pair_offer[lo:hi]  # nearest first: pairs are sorted by need then km
        available = slack[labs, k:].min(axis=1)
        taken_before = np.cumsum(available) - available
        take = np.clip(int(prob.quantity[i]) - taken_before, 0, available)
        flow[lo:hi] = take
        slack[labs, k:] -= take[:, None]
    return flow


def greedy(
    needs: Sequence[Need],
    offers: Sequence[Offer],
    max_distance_km: float = 200.0,
    lead_days: int = 1,
    horizon_days: int = 28,
) -> MatchResult:
    """Nearest-first baseline with the same constraints and result type as ``match``.

    Needs are taken by priority (critical first), then due day, then input order; each takes
    what its labs can still make in time, nearest lab first. Feasible, not optimal.
    """
    needs, offers = list(needs), list(offers)
    check_inputs(needs, offers, max_distance_km, lead_days, horizon_days)
    problems = design_problems(needs, offers, max_distance_km, lead_days, horizon_days)
    flows = [greedy_design(p, needs) for p in problems]
    return assemble(needs, offers, problems, flows)
