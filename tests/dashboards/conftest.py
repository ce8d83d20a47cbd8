"""A real HTTP + websocket server for the live-stream tests.

The shared ``client`` fixture talks ASGI in-process, which has no websockets and no lifespan;
here ``client`` is overridden to talk HTTP to uvicorn serving the same ``app`` on a free port,
so the shared ``hub`` helper drives a server that also streams.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets

from hub.config import Settings


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Small limits so that replay cut-offs, heartbeats and slow clients show up quickly."""
    return Settings(
        database_url=database_url,
        auth_rate_per_minute=100_000,
        live_heartbeat_seconds=0.5,
        live_replay_limit=30,
        live_queue_size=16,
    )


@pytest.fixture
async def base_url(app: Any) -> AsyncIterator[str]:
    """Serve the app with uvicorn (lifespan on, so the broadcaster runs) on a free port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.025)
    assert server.started, "uvicorn did not start"
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the real server."""
    async with httpx.AsyncClient(base_url=f"http://{base_url}", timeout=20) as c:
        yield c


class Live:
    """A websocket client of ``/ws/live`` that decodes messages and skips heartbeats."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """Return the next non-heartbeat message."""
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] != "heartbeat":
                return dict(message)

    async def events(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Return the next ``n`` messages, which must all be events."""
        out = [await self.next(timeout) for _ in range(n)]
        assert all(m["type"] == "event" for m in out), out
        return out

    async def silent(self, seconds: float = 0.4) -> bool:
        """Tell whether nothing but heartbeats arrives for a while."""
        try:
            message = await self.next(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected message {message}")


@pytest.fixture
def live(base_url: str) -> Any:
    """Open a live client: ``async with live(area="FR", since=None, token=None) as c``.

    The token goes in an ``Authorization`` header, the rest in the query string.
    """

    def connect(token: str | None = None, **params: Any) -> Any:
        query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return _Connection(f"ws://{base_url}/ws/live?{query}", additional_headers=headers)

    return connect


class _Connection:
    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.kwargs = kwargs

    async def __aenter__(self) -> Live:
        self.ws = await websockets.connect(self.url, **self.kwargs)
        return Live(self.ws)

    async def __aexit__(self, *_: Any) -> None:
        await self.ws.close()


HUB = str(Path(sys.executable).with_name("hub"))


@pytest.fixture
def hub_process() -> Iterator[Callable[..., str]]:
    """Start real ``hub serve`` processes: ``hub_process(database_url, **env)`` -> host:port."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []

    def start(database_url: str, **env: str) -> str:
        port = free_port()
        environment = {
            **os.environ,
            "HUB_DATABASE_URL": database_url,
            "HUB_AUTH_RATE_PER_MINUTE": "100000",
        }
        environment.pop("HUB_BROADCAST_URL", None)
        environment.update({f"HUB_{k.upper()}": v for k, v in env.items()})
        # A file, not a pipe: nobody reads a pipe while the server runs, and a full one blocks it.
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed at teardown, below)
        logs.append(log)
        process = subprocess.Popen(
            [HUB, "serve", "--port", str(port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        processes.append(process)
        base = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                stderr = log.read().decode(errors="replace")
                raise AssertionError(f"hub serve exited: {stderr[-2000:]}")
            try:
                if httpx.get(f"http://{base}/readyz", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("hub serve did not become ready in 60 s")

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in logs:
        log.close()
