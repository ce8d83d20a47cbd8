"""Real servers for tests: ``hub serve`` subprocesses, and uvicorn inside the test's loop."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from hub.ops.serving import WEBSOCKETS

# The console script installed next to this interpreter: what a user runs.
_SCRIPT = Path(sys.executable).with_name("hub")
HUB = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "hub"]

_LOG_NUMBERS = itertools.count(1)


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, **settings: Any) -> dict[str, str]:
    """The environment of a test hub: ``settings`` become ``HUB_<NAME>`` variables.

    Inherited ``HUB_*`` variables are dropped, so a developer's Redis or routing server does not
    leak into the tests; the rate limits are lifted (tests/hub/limits check them).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_DATABASE_URL"] = database_url
    for limit in ("AUTH", "ACCOUNT", "NEED", "NEED_ADDRESS"):
        env[f"HUB_{limit}_RATE_PER_MINUTE"] = "100000"
    # Plain Python tracebacks in the log: typer's boxed ones are several times longer.
    env["_TYPER_STANDARD_TRACEBACK"] = "1"
    env.update({f"HUB_{name.upper()}": str(value) for name, value in settings.items()})
    return env


class HubProcess:
    """A ``hub serve`` subprocess on a free port, logging to a file shown if it fails to start.

    ``settings`` are hub settings by name (``live_heartbeat_seconds=0.5``), passed as
    ``HUB_*`` environment variables; ``env`` is the whole environment, for running other
    ``hub`` commands on the same database.
    """

    def __init__(self, database_url: str, log_dir: Path, **settings: Any) -> None:
        self.env = server_env(database_url, **settings)
        self.log_dir = log_dir
        self.log = log_dir / f"hub-serve-{next(_LOG_NUMBERS)}.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, for ``ws://`` URLs."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The server's ``http://`` base URL."""
        return f"http://{self.host}"

    def log_text(self, limit: int = 6000) -> str:
        """The end of the server's log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-limit:]

    def start(self, timeout: float = 60.0) -> HubProcess:
        """Start the server and wait until ``/readyz`` answers; return it."""
        # Another process (other tests, other agents) may take the free port before the server
        # binds it: then try another one.
        for _ in range(3):
            self.port = free_port()
            logged = self.log.stat().st_size if self.log.exists() else 0
            with self.log.open("ab") as log:
                # A file, not a pipe: nobody reads a pipe while the server runs, and a full one
                # blocks it. The tests' folder as working directory, so no .env file is read.
                self.proc = subprocess.Popen(
                    [*HUB, "serve", "--port", str(self.port)],
                    env=self.env,
                    cwd=self.log_dir,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_ready(timeout):
                return self
            attempt = self.log.read_bytes()[logged:].decode(errors="replace")
            if "address already in use" not in attempt.lower():
                break
        raise RuntimeError(f"hub serve exited early; its log ({self.log}):\n{self.log_text()}")

    def _wait_ready(self, timeout: float) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(
            f"hub serve was not ready in {timeout:.0f} s; its log ({self.log}):\n{self.log_text()}"
        )

    def kill9(self) -> None:
        """Kill the server the hard way, as a crash or an OOM would."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server politely, then less politely after ten seconds."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@asynccontextmanager
async def serve_in_process(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn in this event loop (lifespan on) on a free port.

    Yields ``127.0.0.1:PORT``. In process, unlike ``HubProcess``: the test shares the app's
    state (its database, its broadcaster) and its settings need no environment.
    """
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws=WEBSOCKETS
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    # Generous: on a loaded two-core machine the lifespan's start can take several seconds.
    deadline = time.monotonic() + 30
    while not server.started and not task.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    if not server.started:
        server.should_exit = True
        await asyncio.wait_for(task, 10)  # re-raises what stopped it, if anything did
        raise AssertionError("uvicorn did not start")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
