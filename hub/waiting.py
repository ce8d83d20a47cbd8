"""Waiting for an :class:`asyncio.Event` with a time limit, without losing a cancellation."""

from __future__ import annotations

import asyncio
import contextlib


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set or ``seconds`` pass; return whether it is set.

    Not ``asyncio.wait_for``: on Python 3.11 it returns normally when its task is cancelled
    just as the awaited event is set (CPython gh-86296, fixed in 3.12 by rewriting it on
    ``asyncio.timeout``), and a background loop stopped that way runs on. That is how the
    live stream's reader kept a hub from exiting when a write came just before shutdown.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()
