"""Per design: OR-Tools' cost scaling against LEMON's network simplex, and pricing, on one network.

Usage::

    python benchmarks/matching_designs.py [--designs 3] [--radius 200] [--ratio 1.2]

For the largest designs of the national instance (``hub.demo.scenario``, as in
``benchmarks/matching.py``), each design's unpruned time-expanded network is solved by OR-Tools
(the reference's solver) and by LEMON (``match``'s), in this process, and the optimal costs are
compared; then ``solve_pruned`` (pricing, LEMON on every round) is timed on the same design.
Ratios are against OR-Tools on the same network, measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    """Print one line per design."""
    from hub.demo.scenario import national_scenario
    from matching.candidates import network_on, solve_pruned
    from matching.flow import solve_network
    from matching.solve import design_problems

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--designs", type=int, default=3, help="how many of the largest")
    parser.add_argument("--radius", type=float, default=200.0)
    parser.add_argument("--ratio", type=float, default=1.2, help="capacity / demand")
    args = parser.parse_args()
    scenario = national_scenario(9000, 7000, seed=0, capacity_ratio=args.ratio)
    problems = design_problems(scenario.needs, scenario.offers, args.radius, 1, 28)
    problems.sort(key=lambda p: -len(p.pair_need))
    print(f"radius {args.radius:g} km, capacity/demand {args.ratio}; ratios against OR-Tools")
    print(f"{'pairs':>9} {'ortools s':>9} {'lemon s':>8} {'lemon/ort':>9} "
          f"{'pruned s':>8} {'pruned/ort':>10} {'rounds':>6} {'same cost':>9}")  # fmt: skip
    for prob in problems[: args.designs]:
        net = network_on(prob, np.arange(len(prob.pair_need)))
        timed = {}
        flows = {}
        for engine in ("ortools", "lemon"):
            start = time.perf_counter()
            flows[engine] = solve_network(net, engine)
            timed[engine] = time.perf_counter() - start
        start = time.perf_counter()
        pruned, stats = solve_pruned(prob)
        timed["pruned"] = time.perf_counter() - start
        costs = {e: int(np.dot(f, net.costs)) for e, f in flows.items()}
        # Pricing returns pair flows: its cost is theirs plus the unmet units' penalty.
        served = np.zeros(len(prob.quantity), dtype=np.int64)
        np.add.at(served, prob.pair_need, pruned)
        pruned_cost = int(np.dot(pruned, prob.pair_cost)) + int(
            np.dot(prob.quantity - served, prob.penalty)
        )
        same = costs["ortools"] == costs["lemon"] == pruned_cost
        print(
            f"{len(prob.pair_need):>9} {timed['ortools']:>9.2f} {timed['lemon']:>8.2f} "
            f"{timed['lemon'] / timed['ortools']:>9.3f} {timed['pruned']:>8.2f} "
            f"{timed['pruned'] / timed['ortools']:>10.3f} {stats.rounds:>6} {same!s:>9}"
        )


if __name__ == "__main__":
    main()
