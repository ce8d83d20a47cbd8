"""Day-shaped load: the hub against the bare stack (``bare_app.py``), in the same run.

Usage::

    python benchmarks/load.py [--seconds 20] [--rate 100] [--clients 64]
                              [--postgres-url URL] [--only sqlite|postgres]

The mix (issue 13): 30 % ``GET /stats``, 20 % ``GET /needs``, 15 % ``POST /needs``,
25 % ``POST /batches/{id}/progress``, 10 % ``GET /batches``. Two load shapes per setup:

- closed loop: ``--clients`` clients, each sending its next request when the last answered;
- steady rate: ``--rate`` requests a second on a fixed schedule, latency counted from the
  scheduled time (a slow answer does not slow the offered load: no coordinated omission).

Setups: SQLite with one process; PostgreSQL with one and with two processes (the load is
spread over both). Each hub setup is measured next to the bare app with the same database
settings, alternating (bare, hub, bare, hub) so that a shared machine's background weighs on
both alike. Afterwards the invariants are checked by query (counters within bounds, claims
within needs, every acknowledged write has its event, totals equal the events' deltas) and
any error or broken invariant makes the exit status non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx

# The hub before this folder goes first on the path: benchmarks/matching.py would shadow
# the matching package the hub imports.
from hub.db import Database
from hub.rules.totals import COUNTERS
from hub.stats.service import totals

sys.path.insert(0, str(Path(__file__).parent))
from fanout import HubProcess, coordinator, free_port, reset_postgres, verify

MIX = [("stats", 30), ("needs", 20), ("post_need", 15), ("progress", 25), ("batches", 10)]
DESIGN = "face-shield-prusa-rc3"
GRENOBLE = (45.1885, 5.7245)
BATCHES = 64
BENCH_DIR = Path(__file__).parent


def pick(rng: random.Random) -> str:
    """Draw one operation of the mix."""
    return rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]


# ---------------------------------------------------------------- targets


@dataclass
class Target:
    """A server (one or more processes) that answers the mix's five routes."""

    name: str
    bases: list[str]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    hospital_id: int = 0
    free: asyncio.Queue[int] | None = None
    made: dict[int, int] = field(default_factory=dict)
    acked: Counter[str] = field(default_factory=Counter)
    pids: list[int] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        """Return the CPU time its server processes have used so far."""
        import psutil

        return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in self.pids)

    def batches(self, ids: list[int]) -> None:
        """Remember the batches that progress reports go to (each used by one request)."""
        self.made = dict.fromkeys(ids, 0)

    async def request(self, http: aiohttp.ClientSession, op: str, k: int) -> int:
        """Send one request of kind ``op`` to process ``k`` (mod count); return its status."""
        base = self.bases[k % len(self.bases)]
        if op == "stats":
            status = await send(http, "GET", f"{base}/api/v1/stats")
        elif op == "needs":
            status = await send(http, "GET", f"{base}/api/v1/needs", self.headers.get("staff"))
        elif op == "batches":
            status = await send(http, "GET", f"{base}/api/v1/batches", self.headers.get("maker"))
        elif op == "post_need":
            body = {
                "hospital_id": self.hospital_id,
                "design": DESIGN,
                "quantity": 10,
                "needed_by": (date.today() + timedelta(days=20)).isoformat(),
            }
            status = await send(
                http, "POST", f"{base}/api/v1/needs", self.headers.get("staff"), body
            )
        else:
            assert self.free is not None
            batch = await self.free.get()
            try:
                made = self.made[batch] + 1
                status = await send(
                    http,
                    "POST",
                    f"{base}/api/v1/batches/{batch}/progress",
                    self.headers.get("maker"),
                    {"made": made},
                )
                if status < 300:
                    self.made[batch] = made
            finally:
                self.free.put_nowait(batch)
        if status < 300:
            self.acked[op] += 1
        return status


async def send(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> int:
    """Send one request, read the whole answer, return its status."""
    async with http.request(method, url, headers=headers, json=body) as response:
        await response.read()
        return response.status


# The client's own cost must stay small next to the server's: httpx took about 3 ms of CPU
# a request here (its pool scans every connection for each request), so at 64 clients the
# generator used most of a core of this 2-core machine and the servers waited on it;
# aiohttp takes a fraction of that. Idle connections are let go after 2 s, before uvicorn
# closes them (5 s): one sent on just as the server closes it fails with a ReadError (seen
# about once in 10,000 requests, on either server), so the client lets go first, as
# browsers and proxies do.
def http_client(connections: int) -> aiohttp.ClientSession:
    """Return an HTTP client of up to ``connections`` keep-alive connections."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=2.0),
        timeout=aiohttp.ClientTimeout(total=60),
    )


def hub_setup(base: str, database_url: str) -> Target:
    """Sign up a hospital's staff and a maker, and claim ``BATCHES`` needs of a million."""
    http = httpx.Client(base_url=base, timeout=60)
    suffix = time.time_ns()

    def signup(role: str) -> dict[str, str]:
        """Return the auth header of a new user of ``role``."""
        r = http.post(
            "/api/v1/auth/signup",
            json={
                "email": f"{role}{suffix}@example.org",
                "password": "correct horse battery",
                "name": role,
                "role": role,
            },
        )
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    staff, maker = signup("hospital_staff"), signup("maker")
    site = {"address": "1 rue du Test", "lat": GRENOBLE[0], "lon": GRENOBLE[1]}
    hospital = http.post(
        "/api/v1/hospitals", json={**site, "name": "CHU", "kind": "hospital"}, headers=staff
    ).json()
    lab = http.post(
        "/api/v1/labs", json={**site, "name": "Fablab", "kind": "fablab"}, headers=maker
    ).json()
    admin = coordinator(http, database_url)
    verify(http, admin, "hospitals", hospital["id"])
    verify(http, admin, "labs", lab["id"])
    http.put(
        f"/api/v1/labs/{lab['id']}/offers",
        json=[
            {
                "design": DESIGN,
                "units_per_day": 0,
                "available_from": date.today().isoformat(),
                "stock": 1_000_000,
            }
        ],
        headers=maker,
    ).raise_for_status()
    ids = []
    for _ in range(BATCHES):
        need = http.post(
            "/api/v1/needs",
            json={
                "hospital_id": hospital["id"],
                "design": DESIGN,
                "quantity": 10_000,
                "needed_by": (date.today() + timedelta(days=20)).isoformat(),
            },
            headers=staff,
        )
        need.raise_for_status()
        claim = http.post(
            f"/api/v1/needs/{need.json()['id']}/claims",
            json={"lab_id": lab["id"], "quantity": 10_000},
            headers=maker,
        )
        claim.raise_for_status()
        ids.append(claim.json()["id"])
    target = Target("hub", [base], {"staff": staff, "maker": maker}, hospital["id"])
    target.batches(ids)
    return target


class BareProcess:
    """A uvicorn process serving ``bare_app.py``."""

    def __init__(self, url: str, pool: dict[str, str] | None = None) -> None:
        self.port = free_port()
        env = {**os.environ, "BARE_DATABASE_URL": url, "PYTHONPATH": str(BENCH_DIR)}
        env.update({f"HUB_{k.upper()}": v for k, v in (pool or {}).items()})
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "bare_app:create_app",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/stats", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("bare app did not start")

    @property
    def base(self) -> str:
        """Return the base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Terminate and wait."""
        self.proc.terminate()
        self.proc.wait(15)


def bare_init(url: str) -> None:
    """Create the bare app's tables with ``BATCHES`` items."""
    subprocess.run(
        [sys.executable, str(BENCH_DIR / "bare_app.py"), "init", url, str(BATCHES)], check=True
    )


# ---------------------------------------------------------------- load shapes


@dataclass
class Run:
    """What one load shape measured on one target."""

    target: str
    shape: str
    seconds: float
    latencies: dict[str, list[float]]
    errors: Counter[str]
    cpu_ms: float = 0.0

    @property
    def count(self) -> int:
        """Return how many requests answered."""
        return sum(len(v) for v in self.latencies.values())

    @property
    def throughput(self) -> float:
        """Return answered requests a second."""
        return self.count / self.seconds

    def pct(self, q: float, op: str | None = None) -> float:
        """Return a latency percentile in ms (over every op, or one)."""
        values = sorted(v for k, vs in self.latencies.items() if op is None or k == op for v in vs)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


async def _timed(
    target: Target, http: aiohttp.ClientSession, op: str, k: int, t0: float, run: Run
) -> None:
    try:
        status = await target.request(http, op, k)
    except Exception as exc:
        run.errors[f"{op}: {type(exc).__name__}"] += 1
        if sum(run.errors.values()) <= 3:
            print(f"  {target.name}: {op} failed: {exc!r}", flush=True)
        return
    if status >= 300:
        run.errors[f"{op}: HTTP {status}"] += 1
        return
    run.latencies[op].append((time.monotonic() - t0) * 1000)


async def closed_loop(target: Target, clients: int, seconds: float, seed: int) -> Run:
    """``clients`` clients, each sending its next request as soon as the last answered."""
    run = Run(target.name, f"closed {clients}", seconds, defaultdict(list), Counter())
    async with http_client(clients * 2) as http:
        stop = time.monotonic() + seconds

        async def client(k: int) -> None:
            """Loop until time is up."""
            rng = random.Random(seed * 1000 + k)
            while time.monotonic() < stop:
                await _timed(target, http, pick(rng), k, time.monotonic(), run)

        started = time.monotonic()
        await asyncio.gather(*(client(k) for k in range(clients)))
        run.seconds = time.monotonic() - started
    return run


async def steady_rate(target: Target, rate: float, seconds: float, seed: int) -> Run:
    """``rate`` requests a second on a fixed schedule; latency from the scheduled time."""
    run = Run(target.name, f"rate {rate:g}/s", seconds, defaultdict(list), Counter())
    rng = random.Random(seed)
    async with http_client(1000) as http:
        tasks = []
        start = time.monotonic()
        for i in range(int(rate * seconds)):
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(_timed(target, http, pick(rng), i, due, run)))
        await asyncio.gather(*tasks)
        # Answers a second over the time until the last answer: below the offered rate when
        # the server falls behind.
        run.seconds = time.monotonic() - start
    return run


# ---------------------------------------------------------------- invariants


def run_queries(url: str, queries: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    """Run each named query on the SQLite file or PostgreSQL database at ``url``: its rows."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as conn:
            for key, sql in queries.items():
                rows[key] = conn.execute(sql).fetchall()
        return rows
    import asyncpg

    async def fetch() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        for key, sql in queries.items():
            rows[key] = [tuple(r) for r in await conn.fetch(sql)]
        await conn.close()

    asyncio.run(fetch())
    return rows


def hub_invariants(url: str, target: Target, stats: dict[str, Any]) -> list[str]:
    """Check the hub's invariants by query; return what is broken."""
    queries = {
        "counters": "SELECT count(*) FROM batches WHERE NOT (0 <= delivered AND delivered <= "
        "picked_up AND picked_up <= made AND made <= quantity AND accepted + rejected <= "
        "delivered)",
        "claims": "SELECT count(*) FROM needs n WHERE quantity < (SELECT coalesce(sum(quantity), "
        "0) FROM batches b WHERE b.need_id = n.id AND b.state NOT IN ('declined', 'cancelled'))",
        "made": "SELECT id, made FROM batches",
        "kinds": "SELECT kind, count(*) FROM events GROUP BY kind",
        "deltas": "SELECT payload FROM events",
    }
    rows = run_queries(url, queries)
    broken = []
    if rows["counters"][0][0]:
        broken.append(f"{rows['counters'][0][0]} batches with counters out of order")
    if rows["claims"][0][0]:
        broken.append(f"{rows['claims'][0][0]} needs over-claimed")
    made = dict(rows["made"])
    lost = [b for b, m in target.made.items() if made.get(b) != m]
    if lost:
        broken.append(f"{len(lost)} batches whose count is not the last acknowledged one")
    kinds = dict(rows["kinds"])
    if kinds.get("batch.progress", 0) != target.acked["progress"]:
        broken.append(
            f"{kinds.get('batch.progress', 0)} progress events for "
            f"{target.acked['progress']} acknowledged reports"
        )
    if kinds.get("need.created", 0) != target.acked["post_need"] + BATCHES:
        broken.append("need.created events differ from acknowledged needs")
    replayed: dict[str, Counter[str]] = defaultdict(Counter)
    for (payload,) in rows["deltas"]:
        body = json.loads(payload) if isinstance(payload, str) else payload
        for design, delta in (body.get("totals_delta") or {}).items():
            replayed[design].update(delta)
    # /stats moves kept totals by the events (hub.stats.ledger): check it against the events
    # and against a recount from the tables, which the events must add up to.
    recounted = asyncio.run(recount(url))
    for name, seen in (("/stats", stats["totals"]), ("a recount", recounted)):
        for design in seen.keys() | replayed.keys():
            for counter in COUNTERS:
                value = seen.get(design, {}).get(counter, 0)
                if replayed[design][counter] != value:
                    broken.append(f"{name}: {design} {counter} = {value}, events say otherwise")
    return broken


async def recount(url: str) -> dict[str, dict[str, int]]:
    """Return the totals recounted from the tables by the hub's own query."""
    db = Database(url)
    try:
        async with db.read_sessions() as session:
            return await totals(session, None)
    finally:
        await db.dispose()


def bare_invariants(url: str, target: Target) -> list[str]:
    """Check the bare app's rows: counts as acknowledged, one event per write."""
    queries = {
        "made": "SELECT id, made FROM bare_items",
        "events": "SELECT count(*) FROM bare_events",
    }
    rows = run_queries(url, queries)
    broken = []
    made = dict(rows["made"])
    if any(made.get(b) != m for b, m in target.made.items()):
        broken.append("bare: a count is not the last acknowledged one")
    writes = target.acked["progress"] + target.acked["post_need"]
    if rows["events"][0][0] != writes:
        broken.append(f"bare: {rows['events'][0][0]} events for {writes} writes")
    return broken


# ---------------------------------------------------------------- main


@dataclass
class Setup:
    """One database configuration: the hub and the bare app on it."""

    name: str
    hub_url: str
    bare_url: str
    processes: int


def postgres_pools(url: str, servers: int) -> dict[str, str]:
    """Pool settings that let ``servers`` processes at their peak fit PostgreSQL's limit.

    As an operator must (README, ``HUB_DB_POOL_SIZE``): the hub's defaults, 20 + 10 a
    process, are cut down when the server's ``max_connections`` (less its reserved ones and
    ten for the listeners, probes and checks) cannot hold them all. Two hub and two bare
    processes at 30 went over this machine's 100 ("too many clients already").
    """
    rows = run_queries(
        url,
        {"max": "SHOW max_connections", "reserved": "SHOW superuser_reserved_connections"},
    )
    budget = int(rows["max"][0][0]) - int(rows["reserved"][0][0]) - 10
    peak = max(3, min(30, budget // servers))
    pool = peak * 2 // 3
    return {"db_pool_size": str(pool), "db_max_overflow": str(peak - pool)}


def run_setup(setup: Setup, args: argparse.Namespace) -> tuple[list[Run], list[str]]:
    """Measure one setup: closed loop and steady rate, bare and hub alternating."""
    pool: dict[str, str] = {}
    if not setup.hub_url.startswith("sqlite"):
        reset_postgres(setup.hub_url)
        # Every hub and bare process stays up for the whole setup.
        pool = postgres_pools(setup.hub_url, 2 * setup.processes)
        print(f"  pool per process: {pool}")
    bare_init(setup.bare_url)
    env = {"need_rate_per_minute": "1000000", "need_address_rate_per_minute": "1000000", **pool}
    hubs = [HubProcess(setup.hub_url, **env)]
    hubs += [HubProcess(setup.hub_url, **env) for _ in range(setup.processes - 1)]
    bares = [BareProcess(setup.bare_url, pool) for _ in range(setup.processes)]
    runs: list[Run] = []
    print(f"  pids: hub {[h.proc.pid for h in hubs]}, bare {[b.proc.pid for b in bares]}")
    try:
        hub = hub_setup(f"http://{hubs[0].base}", setup.hub_url)
        hub.bases = [f"http://{h.base}" for h in hubs]
        hub.name = f"hub, {setup.name}"
        hub.pids = [h.proc.pid for h in hubs]
        bare = Target(f"bare, {setup.name}", [b.base for b in bares])
        bare.pids = [b.proc.pid for b in bares]
        bare.batches(list(range(1, BATCHES + 1)))
        for target in (bare, hub):
            target.free = asyncio.Queue()
            for b in target.made:
                target.free.put_nowait(b)
        shapes: list[Callable[[Target, int], Awaitable[Run]]] = []
        if "closed" in args.shapes:
            shapes.append(lambda t, s: closed_loop(t, args.clients, args.seconds, s))
        if "rate" in args.shapes:
            shapes.append(lambda t, s: steady_rate(t, args.rate, args.seconds, s))

        async def measure_all() -> None:
            """Warm up both, then alternate bare and hub for every shape and repeat."""
            for target in (bare, hub):
                await closed_loop(target, 8, 1.0, 0)
            for r in range(args.repeats):
                for shape in shapes:
                    for target in (bare, hub):
                        cpu = target.cpu_seconds()
                        run = await shape(target, r)
                        # Server CPU per answered request: steadier than rates on a shared machine.
                        run.cpu_ms = 1000 * (target.cpu_seconds() - cpu) / max(1, run.count)
                        runs.append(run)
                        report_run(run)

        asyncio.run(measure_all())
        if any(run.errors for run in runs if run.target == hub.name):
            for h in hubs:  # what the server said about the failed requests
                print(f"  hub {h.proc.pid} log, last lines:\n{h.log_tail()}")
        stats = httpx.get(f"{hub.bases[0]}/api/v1/stats", timeout=60).json()
    finally:
        for h in hubs:
            h.stop()
        for b in bares:
            b.stop()
    broken = hub_invariants(setup.hub_url, hub, stats) + bare_invariants(setup.bare_url, bare)
    return runs, broken


def report_run(run: Run) -> None:
    """Print one line per run."""
    errors = sum(run.errors.values())
    per_op = ", ".join(f"{op} {run.pct(0.99, op):.0f}" for op, _ in MIX)
    print(
        f"  {run.target:<28} {run.shape:<12} {run.throughput:7.1f} req/s  "
        f"p50 {run.pct(0.5):7.1f}  p99 {run.pct(0.99):7.1f} ms  "
        f"(p99 by operation: {per_op}; server CPU {run.cpu_ms:.1f} ms/req)"
        f"  errors {errors}{' ' + str(dict(run.errors)) if errors else ''}",
        flush=True,
    )


def main() -> int:
    """Run the setups, print the table and ratios; non-zero on errors or broken invariants."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--shapes", default="closed,rate", help="closed, rate or both")
    parser.add_argument("--batches", type=int, default=64, help="batches progressed")
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "HUB_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/hub_bench"
        ),
        help="a database dedicated to the benchmark: it is emptied first ('' to skip)",
    )
    args = parser.parse_args()
    global BATCHES  # one setting, read by the setup and the checks alike
    BATCHES = args.batches
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    setups = []
    if args.only in (None, "sqlite"):
        setups.append(
            Setup(
                "SQLite, 1 process",
                f"sqlite+aiosqlite:///{workdir / 'hub.sqlite'}",
                f"sqlite+aiosqlite:///{workdir / 'bare.sqlite'}",
                1,
            )
        )
    if args.postgres_url and args.only in (None, "postgres"):
        for n in (1, 2):
            setups.append(Setup(f"PostgreSQL, {n} process(es)", *[args.postgres_url] * 2, n))
    print(f"{os.cpu_count()} cores; {args.seconds:g} s per run; mix {MIX}", flush=True)
    all_runs: list[Run] = []
    all_broken: list[str] = []
    for setup in setups:
        print(setup.name, flush=True)
        runs, broken = run_setup(setup, args)
        all_runs += runs
        all_broken += broken
        for problem in broken:
            print(f"  BROKEN: {problem}")
    return summary(all_runs, all_broken)


def summary(runs: list[Run], broken: list[str]) -> int:
    """Print the Markdown table (medians over repeats) and the ratios."""
    print()
    print(
        "| setup | load | hub req/s | bare req/s | hub/bare | hub p50 ms | hub p99 ms "
        "| bare p99 ms | CPU ms/req hub / bare | errors |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    keys = sorted({(r.target.split(", ", 1)[1], r.shape) for r in runs}, key=str)
    errors = 0
    for setup, shape in keys:
        hub = [r for r in runs if r.target == f"hub, {setup}" and r.shape == shape]
        bare = [r for r in runs if r.target == f"bare, {setup}" and r.shape == shape]
        if not hub or not bare:
            continue
        h_tp = statistics.median(r.throughput for r in hub)
        b_tp = statistics.median(r.throughput for r in bare)
        err = sum(sum(r.errors.values()) for r in hub + bare)
        errors += err
        print(
            f"| {setup} | {shape} | {h_tp:.0f} | {b_tp:.0f} | {h_tp / b_tp:.2f} "
            f"| {statistics.median(r.pct(0.5) for r in hub):.0f} "
            f"| {statistics.median(r.pct(0.99) for r in hub):.0f} "
            f"| {statistics.median(r.pct(0.99) for r in bare):.0f} "
            f"| {statistics.median(r.cpu_ms for r in hub):.1f} / "
            f"{statistics.median(r.cpu_ms for r in bare):.1f} | {err} |"
        )
    print()
    print(f"errors: {errors}; broken invariants: {len(broken)}")
    return 1 if errors or broken else 0


if __name__ == "__main__":
    sys.exit(main())
