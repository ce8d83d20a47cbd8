"""Live fan-out benchmark: latency from an API write to its receipt by every websocket client.

Usage: ``python benchmarks/fanout.py [--sizes 1000,5000] [--postgres-url URL]``

Runs, in one go and with the same client harness (separate processes from the servers):

1. a bare ``websockets`` broadcast server (``websockets.broadcast``, no database): the reference;
2. one ``hub serve`` process on SQLite: each round is ``POST /batches/{id}/progress``, timed
   from just before the request until each client has the ``batch.progress`` event;
3. the same hub with one stalled client (never reads, tiny receive window) against the same
   rounds without it;
4. two ``hub serve`` processes on PostgreSQL: writes through A, clients on B (LISTEN/NOTIFY).

5. the reconnect storm: ``--storm`` clients (1,000) connecting at once, timed until the last
   has its snapshot (the bare server sends a first message too), bare and hub alternating.

Targets (the issue): hub p99 <= 1.5 x the bare server's at each size; cross-process p99 under
250 ms; the stalled client moves the others' p99 by less than 10 %; the storm <= 2 x the bare
server's time.

``--storm-only`` runs just the storm (a quick check).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

HUB = str(Path(sys.executable).with_name("hub"))
DESIGN = "face-shield-prusa-rc3"
GRENOBLE = (45.1885, 5.7245)
# ~450-byte events: 250 fill the stalled client's socket and transport buffers (~100 KB), so
# the server's sends to it block; 400 more overflow its queue (256 by default).
STALL_FILL = 250
# Unmeasured rounds first: connection pools, caches and the JIT-less interpreter's first calls.
WARMUP = 3
CONNECT_CONCURRENCY = 100
# Spawned, not forked: the parent holds threads (a sync websocket) that fork would copy badly.
SPAWN = mp.get_context("spawn")


def raise_fd_limit() -> int:
    """Raise the open-files limit to the hard limit (5,000 sockets need it); return it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def event_like(made: int) -> str:
    """Return a message shaped and sized like the hub's ``batch.progress`` event."""
    return json.dumps(
        {
            "type": "event",
            "event_id": made,
            "at": "2020-04-01T10:00:00+00:00",
            "kind": "batch.progress",
            "entity": "batch",
            "entity_id": 1,
            "region": "84",
            "departement": "38",
            "data": {
                "batch_id": 1,
                "need_id": 1,
                "lab_id": 2,
                "design": DESIGN,
                "state": "claimed",
                "quantity": 1_000_000,
                "made": made,
                "picked_up": 0,
                "delivered": 0,
                "accepted": 0,
                "rejected": 0,
            },
            "totals_delta": {DESIGN: {"made": 1}},
        },
        separators=(",", ":"),
    )


# ---------------------------------------------------------------- the bare reference server


def bare_server(port: int) -> None:
    """Serve ``/`` (subscribers) and ``/control`` (each message is broadcast to subscribers)."""
    raise_fd_limit()
    from websockets.asyncio.server import broadcast, serve

    subscribers: set[Any] = set()

    async def handler(ws: Any) -> None:
        """Subscribe a client, or broadcast what the control socket sends."""
        if ws.request.path == "/control":
            async for message in ws:
                broadcast(subscribers, message)
            return
        subscribers.add(ws)
        try:
            await ws.send(json.dumps({"type": "snapshot"}))
            await ws.wait_closed()
        finally:
            subscribers.discard(ws)

    async def main() -> None:
        """Serve until killed."""
        async with serve(handler, "127.0.0.1", port, backlog=4096):
            await asyncio.Future()

    asyncio.run(main())


# ---------------------------------------------------------------- the client harness


def harness(url: str, n: int, conn: Connection) -> None:
    """Open ``n`` websocket clients; report when each round has reached all of them."""
    raise_fd_limit()
    asyncio.run(_harness(url, n, conn))


async def _harness(url: str, n: int, conn: Connection) -> None:
    from websockets.asyncio.client import connect

    arrivals: dict[int, list[float]] = defaultdict(list)
    ready = 0
    all_ready = asyncio.Event()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    sockets: list[Any] = []

    async def client() -> None:
        """Connect, take the snapshot, then time every event."""
        nonlocal ready
        async with gate:
            ws = await connect(url, ping_interval=None, open_timeout=120, max_size=None)
            sockets.append(ws)
            await ws.recv()  # the snapshot: subscribed
        ready += 1
        if ready == n:
            all_ready.set()
        async for raw in ws:
            now = time.monotonic()
            message = json.loads(raw)
            if message.get("type") != "event" or message.get("kind") != "batch.progress":
                continue
            made = message["data"]["made"]
            arrivals[made].append(now)
            if len(arrivals[made]) == n:
                conn.send(("round", made))

    tasks = [asyncio.create_task(client()) for _ in range(n)]
    await all_ready.wait()
    conn.send(("ready", n))
    loop = asyncio.get_running_loop()
    # "report": the arrival times so far (then forgotten); "stop": close every client.
    while (command := await loop.run_in_executor(None, conn.recv)) == "report":
        conn.send(("arrivals", dict(arrivals)))
        arrivals.clear()
    assert command == "stop"
    for task in tasks:
        task.cancel()
    for ws in sockets:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 1)


def storm_client(url: str, n: int, conn: Connection) -> None:
    """On "go", open ``n`` clients at once; report (start, last snapshot received) times."""
    raise_fd_limit()

    async def run() -> tuple[float, float]:
        """Connect every client together, wait for each first message, close them all."""
        from websockets.asyncio.client import connect

        async def one() -> Any:
            """Connect and read the first message (the snapshot)."""
            ws = await connect(url, ping_interval=None, open_timeout=120, max_size=None)
            await ws.recv()
            return ws

        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, conn.recv) == "go"
        started = time.monotonic()
        sockets = await asyncio.gather(*(one() for _ in range(n)))
        done = time.monotonic()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        return started, done

    conn.send(("ready", n))
    conn.send(("times", asyncio.run(run())))


def storm(url: str, n: int, processes: int) -> float:
    """Return the seconds from "go" until the last of ``n`` clients has its first message."""
    procs, conns = [], []
    for k in [n // processes + (i < n % processes) for i in range(processes)]:
        parent, child = SPAWN.Pipe()
        proc = SPAWN.Process(target=storm_client, args=(url, k, child), daemon=True)
        proc.start()
        procs.append(proc)
        conns.append(parent)
    for conn in conns:
        assert conn.recv()[0] == "ready"
    for conn in conns:
        conn.send("go")
    # CLOCK_MONOTONIC is one clock for every process of the machine.
    times = [conn.recv()[1] for conn in conns]
    for proc in procs:
        proc.join(30)
    return max(t for _, t in times) - min(t for t, _ in times)


@dataclass
class Clients:
    """Harness processes holding ``n`` clients of one URL between them."""

    procs: list[mp.Process]
    conns: list[Connection]

    @classmethod
    def start(cls, url: str, n: int, processes: int) -> Clients:
        """Start the harness processes and wait until every client has its snapshot."""
        procs, conns = [], []
        share = [n // processes + (i < n % processes) for i in range(processes)]
        for k in share:
            parent, child = SPAWN.Pipe()
            proc = SPAWN.Process(target=harness, args=(url, k, child), daemon=True)
            proc.start()
            procs.append(proc)
            conns.append(parent)
        for conn in conns:
            kind, _ = conn.recv()
            assert kind == "ready"
        return cls(procs, conns)

    def wait_round(self, made: int, timeout: float = 60) -> None:
        """Block until every harness reports that round ``made`` reached all its clients."""
        for conn in self.conns:
            deadline = time.monotonic() + timeout
            while True:
                if not conn.poll(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError(f"round {made} did not reach every client")
                kind, value = conn.recv()
                if kind == "round" and value == made:
                    break

    def arrivals(self) -> dict[int, list[float]]:
        """Collect every client's arrival times since the last call, by round."""
        merged: dict[int, list[float]] = defaultdict(list)
        for conn in self.conns:
            conn.send("report")
        for conn in self.conns:
            while True:
                kind, value = conn.recv()
                if kind == "arrivals":
                    for made, times in value.items():
                        merged[made].extend(times)
                    break
        return merged

    def stop(self) -> None:
        """Close every client and end the harness processes."""
        for conn in self.conns:
            conn.send("stop")
        for proc in self.procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()


# ---------------------------------------------------------------- writers


def coordinator(http: httpx.Client, database_url: str) -> dict[str, str]:
    """Create a national admin with the CLI (sites must be verified); return its auth header."""
    email = f"admin{time.time_ns()}@example.org"
    password = "correct horse battery"
    subprocess.run(
        [HUB, "users", "create", email, "--role", "admin"],
        input=f"{password}\n{password}\n",
        text=True,
        check=True,
        capture_output=True,
        env={**os.environ, "HUB_DATABASE_URL": database_url},
    )
    r = http.post("/api/v1/auth/token", json={"email": email, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def verify(http: httpx.Client, admin: dict[str, str], kind: str, site_id: int) -> None:
    """Verify a hospital or lab (``kind``: hospitals or labs)."""
    http.post(f"/api/v1/{kind}/{site_id}/verify", headers=admin).raise_for_status()


class HubWriter:
    """Writes ``made`` counts to one batch through the hub's API."""

    def __init__(self, base: str, database_url: str) -> None:
        self.database_url = database_url
        self.http = httpx.Client(base_url=f"http://{base}", timeout=30)
        self.batch_id = 0
        self.maker: dict[str, str] = {}
        self.made = 0

    def setup(self) -> None:
        """Create a hospital, a lab, a need of a million units and a batch claiming them."""
        suffix = f"{time.time_ns()}"

        def signup(role: str) -> dict[str, str]:
            """Sign up a user of a role; return its auth header."""
            r = self.http.post(
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

        staff, self.maker = signup("hospital_staff"), signup("maker")
        site = {"address": "1 rue du Test", "lat": GRENOBLE[0], "lon": GRENOBLE[1]}
        hospital = self.http.post(
            "/api/v1/hospitals", json={**site, "name": "CHU", "kind": "hospital"}, headers=staff
        ).json()
        lab = self.http.post(
            "/api/v1/labs", json={**site, "name": "Fablab", "kind": "fablab"}, headers=self.maker
        ).json()
        admin = coordinator(self.http, self.database_url)
        verify(self.http, admin, "hospitals", hospital["id"])
        verify(self.http, admin, "labs", lab["id"])
        self.http.put(
            f"/api/v1/labs/{lab['id']}/offers",
            json=[
                {
                    "design": DESIGN,
                    "units_per_day": 0,
                    "available_from": date.today().isoformat(),
                    "stock": 1_000_000,
                }
            ],
            headers=self.maker,
        ).raise_for_status()
        need = self.http.post(
            "/api/v1/needs",
            json={
                "hospital_id": hospital["id"],
                "design": DESIGN,
                "quantity": 1_000_000,
                "priority": "high",
                "needed_by": (date.today() + timedelta(days=20)).isoformat(),
            },
            headers=staff,
        ).json()
        claim = self.http.post(
            f"/api/v1/needs/{need['id']}/claims",
            json={"lab_id": lab["id"], "quantity": 1_000_000},
            headers=self.maker,
        )
        claim.raise_for_status()
        self.batch_id = claim.json()["id"]

    def dropped(self) -> int:
        """Return how many slow clients the hub has dropped so far."""
        return int(self.http.get("/api/v1/dashboard/stream").json()["dropped"])

    def write(self) -> int:
        """Report one more unit made; return the new count (the round's identity)."""
        self.made += 1
        r = self.http.post(
            f"/api/v1/batches/{self.batch_id}/progress",
            json={"made": self.made},
            headers=self.maker,
        )
        r.raise_for_status()
        return self.made


class BareWriter:
    """Sends an event-shaped message to the bare server's control socket."""

    def __init__(self, port: int) -> None:
        from websockets.sync.client import ClientConnection, connect

        deadline = time.monotonic() + 30
        while True:
            try:
                self.ws: ClientConnection = connect(f"ws://127.0.0.1:{port}/control", legacy=True)
                break
            except OSError:
                # The spawned server may still be starting on a loaded machine.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.made = 0

    def write(self) -> int:
        """Broadcast one more round; return its identity."""
        self.made += 1
        self.ws.send(event_like(self.made))
        return self.made


# ---------------------------------------------------------------- measuring


@dataclass
class Result:
    """Latency percentiles of one run, in milliseconds."""

    name: str
    clients: int
    samples: int
    p50: float
    p90: float
    p99: float
    worst: float


def percentile(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def measure(runs: list[tuple[str, Clients, Any]], n: int, rounds: int) -> list[Result]:
    """Time ``rounds`` writes per run, one write at a time, from the write to every receipt.

    Rounds alternate between the runs (bare, hub, ...), all connected at once, so that the
    background load of a shared machine weighs on each of them alike.
    """
    started: list[dict[int, float]] = [{} for _ in runs]
    for _, clients, writer in runs:
        for _ in range(WARMUP):
            clients.wait_round(writer.write())
        clients.arrivals()
    for _ in range(rounds):
        for k, (_, clients, writer) in enumerate(runs):
            t0 = time.monotonic()
            made = writer.write()
            started[k][made] = t0
            clients.wait_round(made)
            time.sleep(0.05)
    results = []
    for k, (name, clients, _) in enumerate(runs):
        latencies = [
            (t - started[k][made]) * 1000
            for made, times in clients.arrivals().items()
            if made in started[k]
            for t in times
        ]
        assert len(latencies) == rounds * n, (len(latencies), rounds * n)
        result = Result(
            name,
            n,
            len(latencies),
            statistics.median(latencies),
            percentile(latencies, 0.90),
            percentile(latencies, 0.99),
            max(latencies),
        )
        print(
            f"  {name:<36} {n:>6} clients  p50 {result.p50:7.1f}  p90 {result.p90:7.1f}  "
            f"p99 {result.p99:7.1f}  max {result.worst:7.1f} ms",
            flush=True,
        )
        results.append(result)
    return results


# ---------------------------------------------------------------- servers


class HubProcess:
    """A ``hub serve`` subprocess."""

    def __init__(self, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.database_url = database_url
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        environment = {
            **os.environ,
            "HUB_DATABASE_URL": database_url,
            "HUB_AUTH_RATE_PER_MINUTE": "1000000",
            **{f"HUB_{k.upper()}": v for k, v in env.items()},
        }
        self.proc = subprocess.Popen(
            [HUB, "serve", "--port", str(self.port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(self.log.read().decode(errors="replace")[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{self.base}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("hub serve did not start")

    @property
    def base(self) -> str:
        """Return host:port."""
        return f"127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 4000) -> str:
        """Return the warnings and errors among what the process wrote to stderr, the newest."""
        self.log.seek(0)
        lines = self.log.read().decode(errors="replace").splitlines()
        worth = [ln for ln in lines if '"level": "info"' not in ln and '"level": "debug"' not in ln]
        return "\n".join(worth)[-chars:]

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def stalled_client(base: str) -> socket.socket:
    """Open ``/ws/live`` by hand with a tiny receive window, then never read."""
    host, port = base.split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((host, int(port)))
    raw.sendall(
        b"GET /ws/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    return raw


def reset_postgres(url: str) -> None:
    """Create or empty the benchmark's PostgreSQL database (dedicated to the benchmark)."""
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")

    async def run() -> None:
        """Create the database on first use, then drop and recreate its public schema."""
        try:
            conn = await asyncpg.connect(dsn)
        except asyncpg.InvalidCatalogNameError:
            # A fresh machine: create it from the server's maintenance database.
            name = dsn.rsplit("/", 1)[1].split("?")[0]
            admin = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
            await admin.execute(f'CREATE DATABASE "{name}"')
            await admin.close()
            conn = await asyncpg.connect(dsn)
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        await conn.close()

    asyncio.run(run())


# ---------------------------------------------------------------- main


def main() -> int:
    """Run every scenario and print the table; non-zero exit if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--harness-processes", type=int, default=2)
    parser.add_argument(
        "--cross-clients",
        type=int,
        default=100,
        help="clients of hub B in the cross-process run (few: it measures the hop, not fan-out)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "HUB_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/hub_bench"
        ),
        help="a database dedicated to the benchmark: it is emptied first ('' to skip)",
    )
    parser.add_argument("--storm", type=int, default=1000, help="clients of the reconnect storm")
    parser.add_argument("--storm-rounds", type=int, default=3)
    parser.add_argument("--storm-only", action="store_true")
    args = parser.parse_args()
    limit = raise_fd_limit()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"open-files limit {limit}; {os.cpu_count()} cores; {args.rounds} rounds per run")
    workdir = Path(tempfile.mkdtemp(prefix="fanout-"))

    bare_port = free_port()
    bare = SPAWN.Process(target=bare_server, args=(bare_port,), daemon=True)
    bare.start()
    time.sleep(1.0)
    bare_writer = BareWriter(bare_port)
    hub = HubProcess(f"sqlite+aiosqlite:///{workdir / 'hub.sqlite'}")
    hub_writer = HubWriter(hub.base, hub.database_url)
    hub_writer.setup()
    # A second, identical hub for the stalled-client run, measured alongside the first.
    stalled_hub = HubProcess(f"sqlite+aiosqlite:///{workdir / 'stalled.sqlite'}")
    stalled_writer = HubWriter(stalled_hub.base, stalled_hub.database_url)
    stalled_writer.setup()

    results: dict[str, Result] = {}
    stalled_note = ""
    storms: dict[str, list[float]] = {"bare": [], "hub": []}
    try:
        if args.storm:
            print(f"reconnect storm: {args.storm} clients at once", flush=True)
            for _ in range(args.storm_rounds):
                for key, url in (
                    ("bare", f"ws://127.0.0.1:{bare_port}/"),
                    ("hub", f"ws://{hub.base}/ws/live"),
                ):
                    seconds = storm(url, args.storm, args.harness_processes)
                    storms[key].append(seconds)
                    print(f"  {key:<5} last snapshot after {seconds:.2f} s", flush=True)
                # The hub's next event after the storm: it must not be held up by it.
                t0 = time.monotonic()
                hub_writer.write()
                print(f"  hub write after the storm: {1000 * (time.monotonic() - t0):.0f} ms")
        if args.storm_only:
            sizes = []
        for n in sizes:
            print(f"{n} clients", flush=True)
            procs = args.harness_processes
            sets = [
                ("bare", "bare websockets.broadcast", bare_writer, f"ws://127.0.0.1:{bare_port}/"),
                ("hub", "hub, one process (SQLite)", hub_writer, f"ws://{hub.base}/ws/live"),
            ]
            raw = None
            if n == sizes[0]:
                url = f"ws://{stalled_hub.base}/ws/live"
                sets.append(("stalled", "hub, plus one stalled client", stalled_writer, url))
            runs = []
            for _, name, writer, url in sets:
                runs.append((name, Clients.start(url, n, procs), writer))
            if n == sizes[0]:
                # One client that never reads. Fill its socket buffers first, so that the
                # hub's sends to it block while the others are measured.
                dropped_before = stalled_writer.dropped()
                raw = stalled_client(stalled_hub.base)
                for _ in range(STALL_FILL):
                    made = stalled_writer.write()
                runs[-1][1].wait_round(made)
                runs[-1][1].arrivals()
            measured = measure(runs, n, args.rounds)
            for (key, *_), result in zip(sets, measured, strict=True):
                results[f"{key} {n}"] = result
            if raw is not None:
                dropped = stalled_writer.dropped() - dropped_before
                stalled_note = "dropped by the hub" if dropped else "still connected (not dropped)"
                raw.close()
            for _, clients, _ in runs:
                clients.stop()
    finally:
        hub.stop()
        stalled_hub.stop()
        bare.kill()

    if args.postgres_url and not args.storm_only:
        reset_postgres(args.postgres_url)
        a = HubProcess(args.postgres_url)
        b = HubProcess(args.postgres_url)
        try:
            writer = HubWriter(a.base, a.database_url)
            writer.setup()
            n = args.cross_clients
            print(f"{n} clients across processes", flush=True)
            clients = Clients.start(f"ws://{b.base}/ws/live", n, args.harness_processes)
            (results["cross"],) = measure(
                [("hub A -> hub B (PostgreSQL NOTIFY)", clients, writer)], n, args.rounds
            )
            clients.stop()
        finally:
            a.stop()
            b.stop()

    return report(results, sizes, stalled_note, storms)


def report(
    results: dict[str, Result],
    sizes: list[int],
    stalled_note: str,
    storms: dict[str, list[float]] | None = None,
) -> int:
    """Print the Markdown table and the targets; return 1 if a target is missed."""
    print()
    ok = True
    if storms and storms["hub"]:
        bare_s, hub_s = statistics.median(storms["bare"]), statistics.median(storms["hub"])
        print("| reconnect storm | rounds | bare s (median) | hub s (median) | hub / bare |")
        print("|---|---:|---:|---:|---:|")
        print(
            f"| all at once | {len(storms['hub'])} | {bare_s:.2f} | {hub_s:.2f} | "
            f"{hub_s / bare_s:.2f} |"
        )
        ok &= hub_s / bare_s <= 2
        print(f"- storm hub / bare: {hub_s / bare_s:.2f} (target <= 2)")
        print()
    if not results:
        return 0 if ok else 1
    print("| run | clients | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results.values():
        print(
            f"| {r.name} | {r.clients} | {r.p50:.1f} | {r.p90:.1f} | {r.p99:.1f} | {r.worst:.1f} |"
        )
    print()
    for n in sizes:
        ratio = results[f"hub {n}"].p99 / results[f"bare {n}"].p99
        ok &= ratio <= 1.5
        print(f"- p99 hub / bare at {n}: {ratio:.2f} (target <= 1.5)")
    if "cross" in results:
        ok &= results["cross"].p99 < 250
        print(f"- cross-process p99: {results['cross'].p99:.1f} ms (target < 250)")
    stalled = results.get(f"stalled {sizes[0]}")
    if stalled:
        change = stalled.p99 / results[f"hub {sizes[0]}"].p99 - 1
        # The target is that the others are not delayed; a run with the stalled client
        # faster than the one without (-12 %, -16 % in two runs here) is the rounds' noise.
        ok &= change < 0.10
        print(
            f"- stalled client changes the others' p99 by {100 * change:+.1f} % "
            f"(target < 10 %); the stalled client was {stalled_note}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
