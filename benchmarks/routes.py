"""Route planner benchmark: Li & Lim PDPTW instances against their best-known solutions.

Usage: ``python benchmarks/routes.py [--seconds 10] [--backend pyvrp|ortools] [DIR]``

For each ``*.vrp`` with a ``.sol`` beside it, solve within the time limit, check the result
with the independent checker, and print the distance, the best-known distance (recomputed
from the ``.sol`` routes with the same exact arithmetic), the gap and the time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.routes import check_solution, read_instance, read_solution, solve

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "pdptw"


def main() -> int:
    """Run every instance and print one table row each; non-zero exit if any misses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backend", choices=["pyvrp", "ortools"], default="pyvrp")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target-gap", type=float, default=1.0, help="percent (default 1)")
    args = parser.parse_args()

    files = sorted(p for p in args.directory.glob("*.vrp") if p.with_suffix(".sol").exists())
    if not files:
        print(f"no .vrp with a .sol in {args.directory}", file=sys.stderr)
        return 2
    print(f"backend {args.backend}, {args.seconds:g} s per instance, seed {args.seed}")
    header = ("instance", "vehicles", "distance", "best-known", "gap %", "seconds", "feasible")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    ok = True
    for path in files:
        instance = read_instance(path)
        best, _ = read_solution(path.with_suffix(".sol"))
        best_km = best.distance(instance)
        started = time.perf_counter()
        solution = solve(instance, seconds=args.seconds, backend=args.backend, seed=args.seed)
        elapsed = time.perf_counter() - started
        errors = check_solution(instance, solution)
        km = solution.distance(instance)
        # Rounded so that float noise does not print as -0.00.
        gap = round(100.0 * (km - best_km) / best_km, 4) + 0.0
        used = sum(1 for r in solution.routes if r)
        best_used = sum(1 for r in best.routes if r)
        feasible = "yes" if not errors else f"NO ({len(errors)} violations)"
        print(
            f"| {instance.name} | {used} (best {best_used}) | {km:.2f} | {best_km:.2f} "
            f"| {gap:+.2f} | {elapsed:.1f} | {feasible} |"
        )
        ok = ok and not errors and gap <= args.target_gap
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
