"""Benchmark the matcher on a national instance against the unpruned exact solver and greedy.

Usage::

    python benchmarks/matching.py [--needs 9000] [--offers 7000] [--seed 0] [--radius 200]
                                  [--ratio R] [--repeat N]

For the default and the capacity-scarce scenario (``hub.demo.scenario``, real French
geography), each solver runs in its own subprocess, which regenerates the same scenario: the
wall time covers the solver call only, and the peak memory is the subprocess's peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, scenario and imports included); "wrk MB" is
the peak RSS of the largest worker process of ``match``'s pool (one per core, over designs),
so at most that many times it comes on top. Ratios are taken against the unpruned exact
optimum measured in the same run, by ``match_unpruned``, which solves the designs one after
another in one process with OR-Tools' cost scaling ("time/unpr"), and against the same
sequential solve with ``match``'s own solver, LEMON's network simplex, ``unpruned_lemon``
("time/lemon"). ``match`` is the default call (every pair, designs in parallel); ``pruned`` is
``match(..., prune=True)``, pricing on every design.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOLVERS = ("match", "pruned", "unpruned_lemon", "match_unpruned", "greedy")


def run_one(
    solver: str, needs: int, offers: int, seed: int, ratio: float, radius: float
) -> dict[str, float]:
    """Run one solver in this process and return its figures."""
    import matching
    from hub.demo.scenario import national_scenario

    scenario = national_scenario(needs, offers, seed=seed, capacity_ratio=ratio)
    kwargs: dict[str, float | int | bool] = {
        "max_distance_km": radius,
        "lead_days": 1,
        "horizon_days": 28,
    }
    if solver == "pruned":
        fn, kwargs["prune"] = matching.match, True
    elif solver == "unpruned_lemon":
        fn, kwargs["engine"] = matching.match_unpruned, "lemon"
    else:
        fn = getattr(matching, solver)
    start = time.perf_counter()
    result = fn(scenario.needs, scenario.offers, **kwargs)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    # The largest worker process match's pool started and joined (0 when it used none).
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return {
        "seconds": seconds,
        "peak_mb": peak_mb,
        "worker_mb": worker_mb,
        "unit_km": result.unit_km,
        "weighted_served": float(result.weighted_served(scenario.needs)),
        "weighted_demand": float(sum(n.weight * n.quantity for n in scenario.needs)),
        "assignments": float(len(result.assignments)),
    }


def measure(
    solver: str, needs: int, offers: int, seed: int, ratio: float, radius: float
) -> dict[str, float]:
    """Run ``solver`` in a fresh subprocess, so its peak RSS is its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", solver, "--needs", str(needs), "--offers",
         str(offers), "--seed", str(seed), "--ratio", str(ratio), "--radius", str(radius)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run of median time (the lower middle one for an even count), its peaks the highest."""
    ordered = sorted(runs, key=lambda f: f["seconds"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["peak_mb"] = max(f["peak_mb"] for f in runs)
    middle["worker_mb"] = max(f["worker_mb"] for f in runs)
    return middle


def main() -> None:
    """Print the comparison table for the default and the scarce scenario."""
    from hub.demo.scenario import DEFAULT_CAPACITY_RATIO, SCARCE_CAPACITY_RATIO

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--needs", type=int, default=9000)
    parser.add_argument("--offers", type=int, default=7000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ratio", type=float, default=None, help="only this capacity ratio")
    parser.add_argument("--radius", type=float, default=200.0, help="max_distance_km")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per solver, interleaved; times are medians (this machine varies by 15-30 %%)",
    )
    parser.add_argument("--child", choices=SOLVERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = run_one(args.child, args.needs, args.offers, args.seed, args.ratio, args.radius)
        print(json.dumps(figures))
        return
    ratios = [args.ratio] if args.ratio else [DEFAULT_CAPACITY_RATIO, SCARCE_CAPACITY_RATIO]
    print(f"national instance: {args.needs} needs x {args.offers} offers, seed {args.seed}, "
          f"radius {args.radius:g} km, lead 1 day, horizon 28 days")  # fmt: skip
    print("match, pruned (prune=True): LEMON network simplex, designs in a process pool, "
          "one worker per core")  # fmt: skip
    print("match_unpruned (reference, 'unpr'): OR-Tools cost scaling, designs one after another, "
          "one process; unpruned_lemon ('lemon'): the same with LEMON")  # fmt: skip
    if args.repeat > 1:
        print(f"{args.repeat} runs per solver, interleaved: median time; 'range' is the lowest and "
              "highest time/unpr of the runs paired in order")  # fmt: skip
    header = (
        f"{'capacity/demand':>15} {'solver':>15} {'time s':>8} {'time/unpr':>9} {'time/lemon':>10} "
        f"{'peak MB':>8} "
        f"{'wrk MB':>7} {'unit-km':>13} {'ukm/unpr':>9} {'w.served':>11} {'served/unpr':>11}"
        + (f" {'range':>11}" if args.repeat > 1 else "")
    )
    print(header)
    print("-" * len(header))
    for ratio in ratios:
        # Interleaved, so that a slow spell of the machine weighs on every solver alike.
        runs: dict[str, list[dict[str, float]]] = {s: [] for s in SOLVERS}
        for _ in range(max(1, args.repeat)):
            for s in SOLVERS:
                runs[s].append(measure(s, args.needs, args.offers, args.seed, ratio, args.radius))
        figures = {s: median_run(runs[s]) for s in SOLVERS}
        ref = figures["match_unpruned"]
        lemon = figures["unpruned_lemon"]
        for s in SOLVERS:
            f = figures[s]
            t_ratio = f["seconds"] / ref["seconds"]
            paired = [
                a["seconds"] / b["seconds"]
                for a, b in zip(runs[s], runs["match_unpruned"], strict=True)
            ]
            spread = f" {min(paired):>5.3f}-{max(paired):<5.3f}" if args.repeat > 1 else ""
            km_ratio = f["unit_km"] / ref["unit_km"]
            w_ratio = f["weighted_served"] / ref["weighted_served"]
            print(
                f"{ratio:>15.2f} {s:>15} {f['seconds']:>8.2f} {t_ratio:>9.3f} "
                f"{f['seconds'] / lemon['seconds']:>10.3f} "
                f"{f['peak_mb']:>8.0f} {f['worker_mb']:>7.0f} {f['unit_km']:>13.0f} "
                f"{km_ratio:>9.5f} "
                f"{f['weighted_served']:>11.0f} {w_ratio:>11.6f}{spread}"
            )
        print(f"{'':>15} weighted demand {ref['weighted_demand']:.0f}")


if __name__ == "__main__":
    main()
