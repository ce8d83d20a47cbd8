"""Background loops stop when told, even told just as they are woken (CPython gh-86296)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from dashboards.broadcaster import Broadcaster
from hub.config import Settings
from hub.db import Database
from hub.notifications.sender import Sender
from hub.waiting import wait_set


async def test_a_wait_cancelled_as_its_event_is_set_is_cancelled() -> None:
    event = asyncio.Event()
    waiting = asyncio.create_task(wait_set(event, 30))
    await asyncio.sleep(0)  # the task now waits on the event
    event.set()
    waiting.cancel()  # in the same turn: asyncio.wait_for would return True here
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_wait_tells_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_set(event, 5) is True


async def _stops_right_after_a_wake(
    start: Callable[[], Awaitable[Any]],
    wake: Callable[[], None],
    stop: Callable[[], Awaitable[None]],
) -> None:
    for _ in range(3):
        await start()
        await asyncio.sleep(0.05)  # the loop is waiting for a wake-up
        wake()
        stopping = asyncio.ensure_future(stop())  # woken and stopped in the same turn
        done, _ = await asyncio.wait({stopping}, timeout=5)
        assert done, "the loop did not stop"


async def test_the_live_reader_stops_right_after_a_commit_woke_it(database_url: str) -> None:
    """Seen as a hub that never exited after a write that came just before shutdown."""
    db = Database(database_url)
    broadcaster = Broadcaster(db)
    try:
        await _stops_right_after_a_wake(broadcaster.start, broadcaster.poke, broadcaster.stop)
    finally:
        await db.dispose()


async def test_the_mail_sender_stops_right_after_a_mail_woke_it(database_url: str) -> None:
    db = Database(database_url)
    sender = Sender(db, Settings(database_url=database_url, smtp_host="127.0.0.1"))

    async def start() -> None:
        sender.start()

    try:
        await _stops_right_after_a_wake(start, sender.wake, sender.stop)
    finally:
        await db.dispose()
