"""The time-expanded min-cost flow of one design, solved by OR-Tools, and its node potentials.

Nodes, for a design whose needs fall due (minus the lead time) on the distinct days
``D_0 < D_1 < ... < D_{m-1}`` (the *levels*):

- ``S``, the source, with supply ``sum(q)``;
- one node per (offer j, level k): the units lab j makes in ``(D_{k-1}, D_k]``
  (stock and everything up to ``D_0`` for k = 0) enter it from ``S``;
- one node per need i, with demand ``q_i``.

Arcs: ``S -> (j, k)`` with capacity the production of that period; inventory
``(j, k) -> (j, k+1)``, free and uncapacitated, carries units forward; candidate
``(j, k_i) -> i`` at the distance in metres, where ``k_i`` is need i's level, so only units made
by ``due_i - lead_days`` reach it; and the penalty arc ``S -> i`` at ``w_i * 1e5`` km per unit,
through which unmet demand flows. Compressing the days to the levels loses nothing: between two
deadlines nothing can leave a lab, so only cumulative production at each deadline matters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Network:
    """Arc arrays of one time-expanded network; candidate arcs come last."""

    n_nodes: int
    tails: NDArray[np.int32]
    heads: NDArray[np.int32]
    capacities: IntArray
    costs: IntArray
    supplies: IntArray
    first_candidate_arc: int


def lab_node(offer: IntArray, level: IntArray, n_levels: int) -> IntArray:
    """Node index of (offer, level)."""
    return 1 + offer * n_levels + level


def need_node(need: IntArray, n_offers: int, n_levels: int) -> IntArray:
    """Node index of a need."""
    return 1 + n_offers * n_levels + need


def build_network(
    quantity: IntArray,
    level: IntArray,
    penalty: IntArray,
    production: IntArray,
    cand_need: IntArray,
    cand_offer: IntArray,
    cand_cost: IntArray,
) -> Network:
    """Build the network arrays with numpy.

    Parameters
    ----------
    quantity, level, penalty
        Per need: units demanded, level index (0 <= level < n_levels) and cost of one unmet
        unit.
    production
        Shape (n_offers, n_levels): units each offer makes in each level's period.
    cand_need, cand_offer, cand_cost
        Candidate arcs: which offer may serve which need, at what cost per unit.
    """
    n_needs = len(quantity)
    n_offers, n_levels = production.shape
    n_nodes = 1 + n_offers * n_levels + n_needs
    offers = np.arange(n_offers, dtype=np.int64)
    needs = np.arange(n_needs, dtype=np.int64)

    # S -> (j, k): the period's production.
    src_heads = lab_node(np.repeat(offers, n_levels), np.tile(np.arange(n_levels), n_offers), n_levels)
    src_caps = production.reshape(-1).astype(np.int64)
    # (j, k) -> (j, k + 1): units kept for later deadlines. Capacity: all the lab ever makes.
    inv_off = np.repeat(offers, n_levels - 1)
    inv_lvl = np.tile(np.arange(n_levels - 1), n_offers)
    inv_tails = lab_node(inv_off, inv_lvl, n_levels)
    inv_caps = production.sum(axis=1).astype(np.int64)[inv_off]
    # S -> i: unmet demand at the priority penalty.
    pen_heads = need_node(needs, n_offers, n_levels)
    # (j, k_i) -> i: the candidates.
    cand_tails = lab_node(cand_offer, level[cand_need], n_levels)
    cand_heads = need_node(cand_need, n_offers, n_levels)

    tails = np.concatenate(
        (np.zeros(len(src_heads) + n_needs, dtype=np.int64), inv_tails, cand_tails)
    )
    heads = np.concatenate((src_heads, pen_heads, inv_tails + 1, cand_heads))
    capacities = np.concatenate((src_caps, quantity, inv_caps, quantity[cand_need]))
    costs = np.concatenate(
        (
            np.zeros(len(src_heads), dtype=np.int64),
            penalty,
            np.zeros(len(inv_tails), dtype=np.int64),
            cand_cost,
        )
    )
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[0] = int(quantity.sum())
    supplies[need_node(needs, n_offers, n_levels)] = -quantity
    return Network(
        n_nodes=n_nodes,
        tails=tails.astype(np.int32),
        heads=heads.astype(np.int32),
        capacities=capacities.astype(np.int64),
        costs=costs.astype(np.int64),
        supplies=supplies,
        first_candidate_arc=len(tails) - len(cand_tails),
    )


def solve_network(net: Network) -> IntArray:
    """Solve the min-cost flow with OR-Tools and return the flow on every arc."""
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        net.tails, net.heads, net.capacities, net.costs
    )
    smcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int32), net.supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        # The penalty arcs make every instance feasible; anything else is a bug or an overflow.
        raise RuntimeError(f"min-cost flow did not solve to optimality: status {status}")
    return np.asarray(smcf.flows(np.asarray(arcs)), dtype=np.int64)


def potentials(net: Network, flows: IntArray) -> IntArray:
    """Node potentials proving the flow optimal: every residual arc has reduced cost >= 0.

    They are shortest-path distances in the residual graph from a virtual root joined to every
    node at cost 0, found by a vectorised Bellman-Ford that relaxes only the out-arcs of the
    nodes whose distance changed in the previous round. An optimal flow's residual graph has no
    negative cycle, so this terminates; the number of rounds is the depth of the shortest-path
    tree, small in practice.

    Returns
    -------
    dist
        ``dist[v] <= dist[u] + cost(u, v)`` for every residual arc ``u -> v``.
    """
    fwd = flows < net.capacities
    bwd = flows > 0
    tails = np.concatenate((net.tails[fwd], net.heads[bwd])).astype(np.int64)
    heads = np.concatenate((net.heads[fwd], net.tails[bwd])).astype(np.int64)
    costs = np.concatenate((net.costs[fwd], -net.costs[bwd]))
    order = np.argsort(tails, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    indptr = np.searchsorted(tails, np.arange(net.n_nodes + 1))

    dist = np.zeros(net.n_nodes, dtype=np.int64)
    active = np.flatnonzero(indptr[1:] > indptr[:-1])
    for _ in range(net.n_nodes + 1):
        if len(active) == 0:
            return dist
        starts = indptr[active]
        counts = indptr[active + 1] - starts
        # Edge indices of all active nodes, without a Python loop.
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        edges = offsets + np.arange(int(counts.sum()))
        cand = dist[tails[edges]] + costs[edges]
        h = heads[edges]
        better = cand < dist[h]
        if not better.any():
            return dist
        new = dist.copy()
        np.minimum.at(new, h[better], cand[better])
        active = np.flatnonzero(new < dist)
        dist = new
    raise RuntimeError("negative cycle in the residual graph: the flow is not optimal")
