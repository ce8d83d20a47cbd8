"""Command line: ``python -m matching.routes solve FILE.vrp --seconds S``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from matching.routes.check import check_solution
from matching.routes.solvers import solve
from matching.routes.vrpfile import format_solution, read_instance


def main(argv: Sequence[str] | None = None) -> int:
    """Solve a VRPLIB PDPTW instance and print the routes in ``.sol`` format."""
    parser = argparse.ArgumentParser(prog="python -m matching.routes")
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("solve", help="solve a VRPLIB PDPTW instance, print a .sol")
    cmd.add_argument("file", help="a .vrp file with a PICKUP_AND_DELIVERY_SECTION")
    cmd.add_argument("--seconds", type=float, default=10.0, help="time limit (default 10)")
    cmd.add_argument("--seed", type=int, default=1)
    cmd.add_argument("--backend", choices=["pyvrp", "ortools"], default="pyvrp")
    args = parser.parse_args(argv)

    try:
        instance = read_instance(args.file)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    solution = solve(instance, seconds=args.seconds, backend=args.backend, seed=args.seed)
    sys.stdout.write(format_solution(instance, solution))
    # Never print an infeasible answer silently: say what is wrong and fail.
    errors = check_solution(instance, solution)
    for error in errors:
        print(f"infeasible: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
