"""A client of the ``/ws/live`` stream that decodes messages and skips heartbeats."""

import asyncio
import json
from typing import Any

import websockets


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


class LiveConnection:
    """``async with LiveConnection(url, **websockets_options) as live``: a connected ``Live``."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.kwargs = kwargs

    async def __aenter__(self) -> Live:
        self.ws = await websockets.connect(self.url, **self.kwargs)
        return Live(self.ws)

    async def __aexit__(self, *_: Any) -> None:
        await self.ws.close()
