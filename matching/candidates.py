"""Candidate pruning that keeps the exact optimum: k-nearest arcs, then pricing out the rest.

The network is solved on a few candidate arcs per need (its k nearest labs, plus each lab's
k nearest needs so that remote capacity stays reachable). Node potentials of that optimum then
price every excluded pair within the radius; an excluded arc with a negative reduced cost could
improve the solution, so those arcs join the candidates and the network is solved again. When
no excluded arc has a negative reduced cost, the potentials certify that the restricted optimum
is optimal for the full network (the reduced-cost optimality condition holds on every arc), so
pruning costs nothing: neither weighted units served nor unit-km.

``match`` prunes only when asked (``prune=True``): each pricing round is a cold solve, and on
the national benchmark, at radii of 200, 400 and 1000 km, pricing took 1.3-2.5x as long as one
network-simplex solve over every pair (``benchmarks/RESULTS-matching.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.flow import (
    Engine,
    Network,
    build_network,
    lab_potentials,
    potentials,
    solve_network,
)
from matching.problem import DesignProblem

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class PruneStats:
    """How the pricing loop went, for benchmarks and tests."""

    rounds: int
    candidate_arcs: int
    pairs: int


def rank_within(groups: IntArray, order_key: NDArray[np.float64]) -> IntArray:
    """Rank of each element among those of its group, by ascending ``order_key``."""
    order = np.lexsort((order_key, groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - run_start
    return ranks


def initial_candidates(prob: DesignProblem, k_need: int, k_offer: int) -> BoolArray:
    """The k_need nearest offers of each need and the k_offer nearest needs of each offer."""
    if len(prob.pair_need) == 0:
        return np.zeros(0, dtype=np.bool_)
    keep = rank_within(prob.pair_need, prob.pair_km) < k_need
    keep |= rank_within(prob.pair_offer, prob.pair_km) < k_offer
    return keep


def nearest_first(prob: DesignProblem) -> IntArray:
    """Greedy flow per pair: needs by priority then due day, each taking from its nearest labs.

    A lab's slack at level k is what it has made by ``days[k]`` minus what it has promised to
    deadlines up to ``days[k]``; serving a need at level k uses slack at every level >= k.
    The priority is the penalty (proportional to the weight); ties go by due day, then by the
    need's position in the caller's list.
    """
    n_pairs = len(prob.pair_need)
    flow = np.zeros(n_pairs, dtype=np.int64)
    if n_pairs == 0:
        return flow
    slack = np.cumsum(prob.production, axis=1)
    bounds = np.searchsorted(prob.pair_need, np.arange(len(prob.quantity) + 1))
    order = np.lexsort((prob.need_index, prob.days[prob.level], -prob.penalty))
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


def network_on(prob: DesignProblem, idx: IntArray) -> Network:
    """The design's time-expanded network with the pairs ``idx`` as candidate arcs."""
    return build_network(
        prob.quantity,
        prob.level,
        prob.penalty,
        prob.production,
        prob.pair_need[idx],
        prob.pair_offer[idx],
        prob.pair_cost[idx],
    )


def solve_on(prob: DesignProblem, mask: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """Solve with the pairs in ``mask`` as candidate arcs.

    Returns
    -------
    pair_flow, lab_pot, need_pot
        Flow per pair, potentials of every (offer, level) and of every need.
    """
    idx = np.flatnonzero(mask)
    net = network_on(prob, idx)
    flows = solve_network(net)
    pair_flow = np.zeros(len(mask), dtype=np.int64)
    pair_flow[idx] = flows[net.first_candidate_arc :]
    dist = potentials(net, flows)
    return pair_flow, lab_potentials(net, dist), dist[net.first_need_node :]


def solve_unpruned(prob: DesignProblem, engine: Engine = "lemon") -> IntArray:
    """Flow per pair of the exact optimum over every pair within the radius."""
    if len(prob.quantity) == 0:
        return np.zeros(len(prob.pair_need), dtype=np.int64)
    net = network_on(prob, np.arange(len(prob.pair_need)))
    return solve_network(net, engine)[net.first_candidate_arc :]


def solve_pruned(
    prob: DesignProblem,
    k_need: int = 8,
    k_offer: int = 4,
    add_per_need: int = 1000,
    margin_m: int = 10_000,
    widen_unmet: bool = False,
    seed_greedy: bool = True,
) -> tuple[IntArray, PruneStats]:
    """Flow per pair of the exact optimum, found on a pruned network grown by pricing.

    Parameters
    ----------
    prob
        One design's problem.
    k_need, k_offer
        Initial candidates: nearest offers per need, nearest needs per offer.
    add_per_need
        At most this many priced-out arcs join per need and round, the most negative first;
        it keeps each round's network small. Termination is unaffected: every round adds at
        least one arc, and stops only when none has a negative reduced cost.
    margin_m
        Arcs whose reduced cost is below this (metres) join too, once some arc is negative:
        potentials move between rounds, and arcs almost priced in would otherwise come in one
        round at a time.
    widen_unmet
        After the first round, every need left short gets all its pairs: a capacity-bound
        need's potential is its penalty, so nearly every lab in reach would price in anyway,
        over many rounds. Off by default since the greedy seed: with it, the national
        benchmark's largest designs take the same number of rounds on half the arcs without
        widening (face-shield-prusa-rc3: 76 k arcs instead of 137 k, 5.8 s instead of 7.8 s).
    seed_greedy
        The first round's candidates also include every pair the nearest-first greedy
        (``nearest_first``) uses: the first restricted optimum is then at least as good as
        the greedy one, instead of leaving the needs that the k nearest labs cannot cover
        short, and fewer needs sit at their penalty when pricing starts.
    """
    n_pairs = len(prob.pair_need)
    if len(prob.quantity) == 0 or n_pairs == 0:
        return np.zeros(n_pairs, dtype=np.int64), PruneStats(0, 0, n_pairs)
    mask = initial_candidates(prob, k_need, k_offer)
    if seed_greedy:
        mask |= nearest_first(prob) > 0
    pair_level = prob.level[prob.pair_need]
    rounds = 0
    while True:
        rounds += 1
        pair_flow, lab_pot, need_pot = solve_on(prob, mask)
        priced = price_in(prob, mask, lab_pot, need_pot, pair_level, add_per_need, margin_m)
        if not priced:
            return pair_flow, PruneStats(rounds, int(mask.sum()), n_pairs)
        if widen_unmet and rounds == 1:
            # Capacity-bound needs price in every lab within reach; take them all at once.
            served = np.bincount(prob.pair_need, weights=pair_flow, minlength=len(prob.quantity))
            mask |= (served < prob.quantity)[prob.pair_need]


def price_in(
    prob: DesignProblem,
    mask: BoolArray,
    lab_pot: IntArray,
    need_pot: IntArray,
    pair_level: IntArray,
    add_per_need: int,
    margin_m: int,
) -> bool:
    """Add to ``mask`` the excluded pairs that price in; tell whether any was negative.

    ``lab_pot`` (per offer and level) and ``need_pot`` are the restricted optimum's node
    potentials, ``pair_level`` each pair's level; ``add_per_need`` and ``margin_m`` are
    :func:`solve_pruned`'s. ``False`` means no excluded pair has a negative reduced cost: the
    restricted optimum is optimal, and ``mask`` is left as it was.
    """
    excluded = np.flatnonzero(~mask)
    reduced = (
        prob.pair_cost[excluded]
        + lab_pot[prob.pair_offer[excluded], pair_level[excluded]]
        - need_pot[prob.pair_need[excluded]]
    )
    if not (reduced < 0).any():
        return False
    near = reduced < max(margin_m, 0)
    entering = excluded[near]
    ranks = rank_within(prob.pair_need[entering], reduced[near].astype(np.float64))
    mask[entering[ranks < add_per_need]] = True
    return True
