"""What each request of the day-shaped mix costs the server in CPU: the hub against the bare app.

Usage::

    python benchmarks/request_cost.py [--requests 150] [--rounds 4]

The rates of ``load.py`` move with whatever else the machine runs; CPU time per request
moves much less, and it bounds throughput: one process cannot answer more than
1,000 / (milliseconds per request) requests a second. For each operation of the mix
(``load.MIX``), ``--requests`` requests are sent one after another to ``hub serve`` and to
``bare_app.py`` (SQLite, the same settings as ``load.py``), rounds alternating, and the
servers' CPU time (all threads, read with psutil) is divided by the requests answered; the
smallest of the rounds is kept. The mix-weighted mean is the throughput bound of one process.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import load
from fanout import HubProcess


async def cost(target: load.Target, op: str, requests: int) -> float:
    """Return the server's CPU milliseconds per request of ``op``, requests sent one by one."""
    async with load.http_client(1) as http:
        before = target.cpu_seconds()
        for _ in range(requests):
            status = await target.request(http, op, 0)
            if status >= 400:
                raise RuntimeError(f"{target.name}: {op} answered {status}")
        return 1000 * (target.cpu_seconds() - before) / requests


def ratio(hub: float, bare: float) -> str:
    """Return ``hub / bare`` to two decimals, or ``n/a`` when the bare CPU time read as zero.

    psutil reads CPU time in clock ticks (10 ms on Linux): a few cheap requests can cost
    the bare app less than one tick, and then there is no ratio to give.
    """
    return f"{hub / bare:.2f}" if bare > 0 else "n/a"


def main() -> int:
    """Measure both servers and print a Markdown table of the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cost-"))
    hub_url = f"sqlite+aiosqlite:///{workdir / 'hub.sqlite'}"
    bare_url = f"sqlite+aiosqlite:///{workdir / 'bare.sqlite'}"
    load.bare_init(bare_url)
    hub_process = HubProcess(
        hub_url, need_rate_per_minute="1000000", need_address_rate_per_minute="1000000"
    )
    bare_process = load.BareProcess(bare_url)
    try:
        hub = load.hub_setup(f"http://{hub_process.base}", hub_url)
        hub.pids = [hub_process.proc.pid]
        bare = load.Target("bare", [bare_process.base], pids=[bare_process.proc.pid])
        bare.batches(list(range(1, load.BATCHES + 1)))
        best: dict[tuple[str, str], float] = {}

        async def measure() -> None:
            for target in (bare, hub):
                target.free = asyncio.Queue()
                for batch in target.made:
                    target.free.put_nowait(batch)
                for op, _ in load.MIX:  # warm up
                    await cost(target, op, 5)
            for _ in range(args.rounds):
                for op, _ in load.MIX:
                    for target in (bare, hub):
                        ms = await cost(target, op, args.requests)
                        key = (target.name, op)
                        best[key] = min(best.get(key, ms), ms)

        asyncio.run(measure())
    finally:
        hub_process.stop()
        bare_process.stop()
    print(f"CPU ms per request, best of {args.rounds} rounds of {args.requests}, SQLite\n")
    print("| operation | share | bare | hub | hub / bare |")
    print("|---|---:|---:|---:|---:|")
    weights = dict(load.MIX)
    total = sum(weights.values())
    mean = {"bare": 0.0, "hub": 0.0}
    for op, weight in load.MIX:
        b, h = best[("bare", op)], best[("hub", op)]
        mean["bare"] += b * weight / total
        mean["hub"] += h * weight / total
        print(f"| {op} | {weight} % | {b:.2f} | {h:.2f} | {ratio(h, b)} |")
    b, h = mean["bare"], mean["hub"]
    print(f"| **mix** | 100 % | {b:.2f} | {h:.2f} | **{ratio(h, b)}** |")
    if b > 0 and h > 0:
        print(
            f"\nOne process's bound on the mix: bare {1000 / b:.0f} req/s, "
            f"hub {1000 / h:.0f} req/s (both servers' CPU, all threads)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
