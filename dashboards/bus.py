"""How a broadcaster hears that events were committed, in this process or another.

- In this process: ``Database.after_events`` pokes it right after the commit.
- Other processes on PostgreSQL: ``LISTEN hub_events`` (the append does ``pg_notify`` with the
  event id; the listener reads the rows itself, so a lost or merged notification loses nothing).
- Other processes with ``HUB_BROADCAST_URL=redis://``: every commit publishes on a channel
  that every process subscribes to. It replaces LISTEN/NOTIFY.
- Always: the broadcaster's own slow poll, for a writer nobody can hear (SQLite, another tool).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from hub.events.service import NOTIFY_CHANNEL
from hub.waiting import wait_set

log = logging.getLogger("hub.live")

REDIS_CHANNEL = "hub_events"
RECONNECT_SECONDS = 1.0


class Bus(Protocol):
    """Something that pokes the broadcaster when another process commits events."""

    async def start(self) -> None:
        """Connect and start listening."""

    async def stop(self) -> None:
        """Stop listening and disconnect."""


def asyncpg_dsn(url: str) -> str:
    """Turn a SQLAlchemy ``postgresql+asyncpg://`` URL into a plain asyncpg DSN."""
    scheme, sep, rest = url.partition("://")
    return f"postgresql{sep}{rest}" if scheme.startswith("postgresql") else url


class PostgresListener:
    """LISTEN on ``hub_events`` with its own connection, reconnecting if it drops."""

    def __init__(self, url: str, poke: Callable[[], None]) -> None:
        self.dsn = asyncpg_dsn(url)
        self.poke = poke
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        """Start the listening task and wait (briefly) for the first LISTEN."""
        self._task = asyncio.create_task(self._run(), name="live-pg-listen")
        await wait_set(self.listening, 10)

    async def stop(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _on_notify(self, *_: Any) -> None:
        self.poke()

    async def _run(self) -> None:
        import asyncpg

        while True:
            connection = None
            try:
                connection = await asyncpg.connect(self.dsn)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(NOTIFY_CHANNEL, self._on_notify)
                self.listening.set()
                # Anything committed while we were not listening is read now.
                self.poke()
                while not lost.is_set():
                    if not await wait_set(lost, 30):
                        # A dead TCP peer is only noticed when we talk to it.
                        await connection.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live stream: LISTEN connection lost; reconnecting", exc_info=True)
            finally:
                self.listening.clear()
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)
            await asyncio.sleep(RECONNECT_SECONDS)


class RedisBus:
    """Publish a poke after each local commit; poke the broadcaster on each message."""

    def __init__(self, url: str, poke: Callable[[], None]) -> None:
        self.url = url
        self.poke = poke
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[Any]] = set()
        self.listening = asyncio.Event()

    async def start(self) -> None:
        """Connect, subscribe, and wait (briefly) until subscribed."""
        import redis.asyncio as redis

        self._client = redis.from_url(self.url)
        self._task = asyncio.create_task(self._run(), name="live-redis-listen")
        await wait_set(self.listening, 10)

    async def stop(self) -> None:
        """Unsubscribe and disconnect."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    def published(self) -> None:
        """Announce a local commit to every process (a ``Database.after_events`` callback)."""
        task = asyncio.get_running_loop().create_task(self._publish())
        # Keep a reference: the loop holds tasks weakly.
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self) -> None:
        try:
            await self._client.publish(REDIS_CHANNEL, b"1")
        except Exception:
            # The other processes still catch up by their poll.
            log.warning("live stream: Redis publish failed", exc_info=True)

    async def _run(self) -> None:
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(REDIS_CHANNEL)
                    self.listening.set()
                    self.poke()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self.poke()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live stream: Redis subscription lost; reconnecting", exc_info=True)
            self.listening.clear()
            await asyncio.sleep(RECONNECT_SECONDS)
