"""The time-expanded min-cost flow of one design, its exact solvers, and its node potentials.

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

Two exact solvers take the same arrays: LEMON's network simplex (through ``pylmcf``), which
``match`` uses, and OR-Tools' cost-scaling ``SimpleMinCostFlow``, which the reference
``match_unpruned`` uses. On the national benchmark's designs the network simplex is 5-11x
faster on the very same network (``benchmarks/RESULTS-matching.md``); both reach the same
optimal cost, which the tests check on random instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pylmcf
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Network:
    """Arc arrays of one time-expanded network; candidate arcs come last.

    ``lab_nodes[j, k]`` is the node of (offer j, level k), or -1 where that lab has no
    candidate need at level k: such a node is merged into the lab's next level that has one,
    since units made earlier can always wait (inventory is free).
    """

    n_nodes: int
    tails: NDArray[np.int32]
    heads: NDArray[np.int32]
    capacities: IntArray
    costs: IntArray
    supplies: IntArray
    first_candidate_arc: int
    lab_nodes: IntArray
    first_need_node: int


@dataclass(frozen=True, slots=True)
class _Arcs:
    """One family of arcs (source, penalty, inventory or candidate), as parallel arrays."""

    tails: IntArray
    heads: IntArray
    capacities: IntArray
    costs: IntArray


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
    # Keep only the lab-level nodes some candidate arc leaves from.
    present = np.zeros(production.shape, dtype=np.bool_)
    present[cand_offer, level[cand_need]] = True
    n_lab_nodes = int(present.sum())
    lab_nodes = np.full(production.shape, -1, dtype=np.int64)
    lab_nodes[present] = 1 + np.arange(n_lab_nodes)
    first_need_node = 1 + n_lab_nodes
    n_nodes = first_need_node + n_needs
    # (j, k_i) -> i: the candidates.
    candidates = _Arcs(
        tails=lab_nodes[cand_offer, level[cand_need]],
        heads=first_need_node + cand_need,
        capacities=quantity[cand_need],
        costs=cand_cost,
    )
    families = (
        _source_arcs(present, lab_nodes, production, n_nodes, first_need_node),
        _unmet_arcs(quantity, penalty, first_need_node),
        _inventory_arcs(present, production),
        candidates,
    )
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[0] = int(quantity.sum())
    supplies[first_need_node:] = -quantity
    return Network(
        n_nodes=n_nodes,
        tails=np.concatenate([f.tails for f in families]).astype(np.int32),
        heads=np.concatenate([f.heads for f in families]).astype(np.int32),
        capacities=np.concatenate([f.capacities for f in families]).astype(np.int64),
        costs=np.concatenate([f.costs for f in families]).astype(np.int64),
        supplies=supplies,
        first_candidate_arc=sum(len(f.tails) for f in families[:-1]),
        lab_nodes=lab_nodes,
        first_need_node=first_need_node,
    )


def _source_arcs(
    present: NDArray[np.bool_],
    lab_nodes: IntArray,
    production: IntArray,
    n_nodes: int,
    first_need_node: int,
) -> _Arcs:
    """S -> (j, k): production of every period up to level k since the lab's previous node."""
    n_offers, n_levels = production.shape
    nxt = next_present(present)
    has_next = nxt < n_levels
    rows = np.broadcast_to(np.arange(n_offers)[:, None], present.shape)
    supply_cap = np.zeros(n_nodes, dtype=np.int64)
    np.add.at(supply_cap, lab_nodes[rows[has_next], nxt[has_next]], production[has_next])
    heads = np.flatnonzero(supply_cap[:first_need_node] > 0).astype(np.int64)
    zeros = np.zeros(len(heads), dtype=np.int64)
    return _Arcs(tails=zeros, heads=heads, capacities=supply_cap[heads], costs=zeros)


def _unmet_arcs(quantity: IntArray, penalty: IntArray, first_need_node: int) -> _Arcs:
    """S -> i: unmet demand, at the need's priority penalty per unit."""
    n_needs = len(quantity)
    return _Arcs(
        tails=np.zeros(n_needs, dtype=np.int64),
        heads=first_need_node + np.arange(n_needs, dtype=np.int64),
        capacities=quantity,
        costs=penalty,
    )


def _inventory_arcs(present: NDArray[np.bool_], production: IntArray) -> _Arcs:
    """(j, k) -> (j, k') between a lab's consecutive nodes: units kept for later deadlines.

    Free, and bounded only by everything the lab makes.
    """
    node_lab = np.nonzero(present)[0]  # row-major, so a lab's nodes are consecutive
    same = node_lab[1:] == node_lab[:-1]
    tails = (1 + np.flatnonzero(same)).astype(np.int64)
    capacities = production.sum(axis=1).astype(np.int64)[node_lab[:-1][same]]
    return _Arcs(
        tails=tails,
        heads=tails + 1,
        capacities=capacities,
        costs=np.zeros(len(tails), dtype=np.int64),
    )


def next_present(present: NDArray[np.bool_]) -> IntArray:
    """For each (row, k): the smallest k' >= k with ``present[row, k']``, else n_levels."""
    n_levels = present.shape[1]
    pos = np.where(present, np.arange(n_levels), n_levels)
    return np.minimum.accumulate(pos[:, ::-1], axis=1)[:, ::-1].astype(np.int64)


def lab_potentials(net: Network, dist: IntArray) -> IntArray:
    """Potentials of every (offer, level), including the nodes merged away.

    A merged node sits on the free inventory chain just before its lab's next node, so it
    takes that node's potential; after a lab's last node (or for a lab without any), the
    largest value keeping its arcs from ``S`` and from the last node non-negative in reduced
    cost: ``min(dist[S], dist[last node])``. Either way every arc the merged node would have
    keeps a non-negative reduced cost, so the potentials stay a valid certificate.
    """
    present = net.lab_nodes >= 0
    n_offers, n_levels = present.shape
    nxt = next_present(present)
    rows = np.arange(n_offers)[:, None]
    clipped = np.minimum(nxt, n_levels - 1)
    pot = dist[np.maximum(net.lab_nodes[rows, clipped], 0)]
    last = np.where(present, net.lab_nodes, -1).max(axis=1)
    tail_pot = np.where(last >= 0, np.minimum(dist[0], dist[np.maximum(last, 0)]), dist[0])
    result: IntArray = np.where(nxt < n_levels, pot, tail_pot[:, None]).astype(np.int64)
    return result


#: The exact min-cost-flow solvers ``solve_network`` can use.
Engine = Literal["lemon", "ortools"]


def solve_network(net: Network, engine: Engine = "lemon") -> IntArray:
    """Solve the min-cost flow exactly and return the flow on every arc."""
    if engine == "ortools":
        return solve_with_ortools(net)
    # pylmcf wants the arcs sorted by (tail, head); the flows are mapped back to our order.
    order = np.lexsort((net.heads, net.tails))
    graph = pylmcf.Graph(
        net.n_nodes, net.tails[order].astype(np.int64), net.heads[order].astype(np.int64)
    )
    graph.set_node_supply(net.supplies)
    graph.set_edge_capacities(net.capacities[order])
    graph.set_edge_costs(net.costs[order])
    # Measured on the national benchmark's designs: 1.3-1.4x faster than LEMON's default
    # block search, and the same optimum (``benchmarks/RESULTS-matching.md``).
    graph.set_pivot_rule("candidate_list")
    # The penalty arcs make every instance feasible: a failure here is a bug or an overflow,
    # and pylmcf raises RuntimeError for it.
    graph.solve()
    flows = np.empty(len(order), dtype=np.int64)
    flows[order] = graph.result()
    return flows


def solve_with_ortools(net: Network) -> IntArray:
    """Solve the min-cost flow with OR-Tools' cost scaling and return the flow on every arc."""
    # Imported here: only the reference solver needs it, and match's worker processes start
    # faster without it.
    from ortools.graph.python import min_cost_flow

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
