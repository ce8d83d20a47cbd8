"""Instructions each request of the day-shaped mix costs, counted by callgrind: the hub
against the bare app, and against the hub at another commit, in the same run.

Usage::

    python benchmarks/instructions.py [--against COMMIT] [--requests 20]

CPU time on a shared 2-core machine moved by 2 x within the hour (``request_cost.py``);
instruction counts do not: the same code gives the same count to within about 2 %. Each
server runs in-process under ``valgrind --tool=callgrind`` with collection switched on only
around ``--requests`` requests of one operation (``load.MIX``, after 15 to warm up),
through ``httpx.ASGITransport``: the client's instructions are counted too, alike for both.
The hub answers from a copy of one seeded SQLite database (``load.hub_setup``), the bare app
from its own (``load.bare_init``). ``--against`` checks the commit out in a temporary git
worktree and counts its hub the same way. Needs valgrind and gcc (for the client-request
helper, ``valgrind/callgrind.h``).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).parent
ROOT = BENCH_DIR.parent
HELPER = r"""
#include <valgrind/callgrind.h>
void cg_on(void) { CALLGRIND_ZERO_STATS; CALLGRIND_TOGGLE_COLLECT; }
void cg_off(const char *label) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS_AT(label); }
"""
WARM_UP = 15


async def _drive(app: Any, seed: dict[str, Any], ops: list[str], requests: int, lib: Any) -> None:
    """Send each operation ``requests`` times through ASGI, counting only those."""
    import httpx

    made = dict.fromkeys(seed["batches"], 0)
    batches = list(made)
    headers = seed.get("headers", {})
    k = 0
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as c,
    ):

        async def one(op: str) -> None:
            nonlocal k
            k += 1
            if op == "stats":
                r = await c.get("/api/v1/stats")
            elif op == "needs":
                r = await c.get("/api/v1/needs", headers=headers.get("staff"))
            elif op == "batches":
                r = await c.get("/api/v1/batches", headers=headers.get("maker"))
            elif op == "post_need":
                body = {
                    "hospital_id": seed.get("hospital_id", 0),
                    "design": "face-shield-prusa-rc3",
                    "quantity": 10,
                    "needed_by": seed["needed_by"],
                }
                r = await c.post("/api/v1/needs", json=body, headers=headers.get("staff"))
            else:
                batch = batches[k % len(batches)]
                made[batch] += 1
                r = await c.post(
                    f"/api/v1/batches/{batch}/progress",
                    json={"made": made[batch]},
                    headers=headers.get("maker"),
                )
            if r.status_code >= 300:
                raise RuntimeError(f"{op}: {r.status_code} {r.text[:300]}")

        for op in ops:
            for _ in range(WARM_UP):
                await one(op)
            lib.cg_on()
            for _ in range(requests):
                await one(op)
            lib.cg_off(op.encode())


def child(kind: str, seed_dir: Path, requests: int, ops: list[str], helper: str) -> None:
    """Run under callgrind: build the app of ``kind`` on a copy of the seeded database."""
    work = Path(tempfile.mkdtemp(prefix="instr-"))
    seed = json.loads((seed_dir / "seed.json").read_text())
    if kind == "hub":
        # This folder goes: its matching.py would shadow the matching package the hub imports.
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR.resolve()]
        from hub.config import Settings
        from hub.main import create_app

        shutil.copy(seed_dir / "hub.sqlite", work / "hub.sqlite")
        app = create_app(
            Settings(
                database_url=f"sqlite+aiosqlite:///{work / 'hub.sqlite'}",
                need_rate_per_minute=1_000_000,
                need_address_rate_per_minute=1_000_000,
            )
        )
    else:
        shutil.copy(seed_dir / "bare.sqlite", work / "bare.sqlite")
        os.environ["BARE_DATABASE_URL"] = f"sqlite+aiosqlite:///{work / 'bare.sqlite'}"
        sys.path.insert(0, str(BENCH_DIR))
        from bare_app import create_app as create_bare

        app = create_bare()
        seed = {"batches": list(range(1, seed["bare_items"] + 1)), "needed_by": seed["needed_by"]}
    asyncio.run(_drive(app, seed, ops, requests, ctypes.CDLL(helper)))


def count(
    kind: str,
    tree: Path,
    seed_dir: Path,
    requests: int,
    ops: list[str],
    helper: str,
    valgrind: bool = True,
) -> dict[str, float]:
    """Return millions of instructions per request by operation, for one server (nothing
    without ``valgrind``: the requests are only sent)."""
    out = Path(tempfile.mkdtemp(prefix="callgrind-"))
    env = {**os.environ, "PYTHONPATH": str(tree)}
    valgrind_prefix = [
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        f"--callgrind-out-file={out / 'cg.out'}",
    ]
    command = [
        *(valgrind_prefix if valgrind else []),
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        str(seed_dir),
        str(requests),
        ",".join(ops),
        helper,
    ]
    done = subprocess.run(command, env=env, cwd=out, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} at {tree}: {done.stderr[-3000:]}")
    counts = {}
    for dump in out.glob("cg.out.*"):
        text = dump.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if label and total:
            counts[label.group(1)] = int(total.group(1)) / requests / 1e6
    shutil.rmtree(out, ignore_errors=True)
    return counts


def seed(directory: Path) -> None:
    """Seed the hub's database through ``hub serve`` (load.hub_setup) and the bare app's."""
    import load
    from fanout import HubProcess

    from hub.timeutil import today

    hub_url = f"sqlite+aiosqlite:///{directory / 'hub.sqlite'}"
    process = HubProcess(
        hub_url, need_rate_per_minute="1000000", need_address_rate_per_minute="1000000"
    )
    try:
        target = load.hub_setup(f"http://{process.base}", hub_url)
    finally:
        process.stop()
    load.bare_init(f"sqlite+aiosqlite:///{directory / 'bare.sqlite'}")
    info = {
        "headers": target.headers,
        "hospital_id": target.hospital_id,
        "batches": list(target.made),
        "bare_items": load.BATCHES,
        "needed_by": (today() + timedelta(days=200)).isoformat(),
    }
    (directory / "seed.json").write_text(json.dumps(info))


def main() -> int:
    """Count both servers (and the hub at ``--against``) and print a Markdown table."""
    if sys.argv[1:2] == ["--child"]:
        kind, seed_dir, requests, ops, helper = sys.argv[2:7]
        child(kind, Path(seed_dir), int(requests), ops.split(","), helper)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="a commit whose hub is counted too")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--no-valgrind", action="store_true", help="send the requests without counting (a test)"
    )
    args = parser.parse_args()
    valgrind = not args.no_valgrind
    # The hub before this folder on the path: benchmarks/matching.py would shadow matching.
    import hub  # noqa: F401

    sys.path.insert(0, str(BENCH_DIR))
    import load

    ops = [op for op, _ in load.MIX]
    work = Path(tempfile.mkdtemp(prefix="instructions-"))
    helper = str(work / "libcg.so")
    source = work / "cg.c"
    source.write_text(HELPER)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", helper, str(source)], check=True)
    seed(work)
    columns = {"bare": count("bare", ROOT, work, args.requests, ops, helper, valgrind)}
    worktree = work / "against"
    if args.against:
        subprocess.run(
            [
                *("git", "-C", str(ROOT), "worktree", "add", "--detach", "-q"),
                str(worktree),
                args.against,
            ],
            check=True,
        )
    try:
        if args.against:
            columns[f"hub at {args.against}"] = count(
                "hub", worktree, work, args.requests, ops, helper, valgrind
            )
        columns["hub"] = count("hub", ROOT, work, args.requests, ops, helper, valgrind)
    finally:
        if args.against:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)],
                check=False,
            )
    shutil.rmtree(work, ignore_errors=True)
    if not valgrind:
        print(f"Every request answered ({', '.join(columns)}); nothing counted without valgrind.")
        return 0
    _report(columns, dict(load.MIX), args.requests)
    return 0


def _report(columns: dict[str, dict[str, float]], weights: dict[str, int], requests: int) -> None:
    """Print millions of instructions per request, and the hub's ratios."""
    names = list(columns)
    print(f"Millions of instructions per request (callgrind, {requests} requests each)\n")
    ratios = ["hub / bare"] + [f"hub / {n}" for n in names[1:-1]]
    print("| operation | share | " + " | ".join(names + ratios) + " |")
    print("|---|---:|" + "---:|" * (len(names) + len(ratios)))
    total = sum(weights.values())
    mix = {name: sum(columns[name][op] * w for op, w in weights.items()) / total for name in names}
    for op, weight in [*weights.items(), ("**mix**", total)]:
        values = {n: mix[n] if op == "**mix**" else columns[n][op] for n in names}
        cells = [f"{values[n]:.2f}" for n in names]
        cells += [f"{values['hub'] / values[n]:.2f}" for n in ["bare", *names[1:-1]]]
        print(f"| {op} | {round(100 * weight / total)} % | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
