"""A real HTTP + websocket server for the live-stream tests.

The shared ``client`` fixture talks ASGI in-process, which has no websockets and no lifespan;
here ``client`` is overridden to talk HTTP to uvicorn serving the same ``app`` on a free port,
so the shared ``hub`` helper drives a server that also streams.
"""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from support.data import LIFTED_LIMITS
from support.live import LiveConnection
from support.server import serve_in_process

from hub.config import Settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Small limits so that replay cut-offs, heartbeats and slow clients show up quickly."""
    return Settings(
        database_url=database_url,
        **LIFTED_LIMITS,
        live_heartbeat_seconds=0.5,
        live_replay_limit=30,
        live_queue_size=16,
    )


@pytest.fixture
async def base_url(app: Any) -> AsyncIterator[str]:
    """Serve the app with uvicorn (lifespan on, so the broadcaster runs): ``host:port``."""
    async with serve_in_process(app) as host:
        yield host


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the real server."""
    async with httpx.AsyncClient(base_url=f"http://{base_url}", timeout=20) as c:
        yield c


@pytest.fixture
def live(base_url: str) -> Callable[..., LiveConnection]:
    """Open a live client: ``async with live(area="FR", since=None, token=None) as c``.

    The token goes in an ``Authorization`` header, the rest in the query string.
    """

    def connect(token: str | None = None, **params: Any) -> LiveConnection:
        query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return LiveConnection(f"ws://{base_url}/ws/live?{query}", additional_headers=headers)

    return connect
