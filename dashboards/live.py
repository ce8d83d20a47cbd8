"""Starting and stopping the live stream with the application."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass

from fastapi import FastAPI

from dashboards.broadcaster import Broadcaster
from dashboards.bus import Bus, PostgresListener, RedisBus

log = logging.getLogger("hub.live")
# Thousands of websocket connections keep hundreds of thousands of objects alive. CPython's
# default collector walks them all every few thousand allocations, and those pauses were the
# tail of the fan-out (p99 at 5,000 clients: 1.83x the bare server before, ~0.9x after).
GC_THRESHOLDS = (20_000, 50, 100)
_gc_tuned = False


def _tune_gc() -> None:
    """Freeze what startup allocated (modules, geodata) and collect young objects less often."""
    global _gc_tuned
    if _gc_tuned:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    _gc_tuned = True


@dataclass
class LiveStream:
    """The process's broadcaster and the bus that wakes it for other processes' commits."""

    broadcaster: Broadcaster
    bus: Bus | None


async def start_live(app: FastAPI) -> LiveStream:
    """Start the broadcaster and the right bus for the configuration; store it on the app."""
    db = app.state.db
    settings = app.state.settings
    broadcaster = Broadcaster(
        db,
        queue_size=settings.live_queue_size,
        heartbeat_seconds=settings.live_heartbeat_seconds,
    )
    await broadcaster.start()
    db.after_events.append(broadcaster.poke)
    bus: Bus | None = None
    if settings.broadcast_url:
        redis_bus = RedisBus(settings.broadcast_url, broadcaster.poke)
        db.after_events.append(redis_bus.published)
        bus = redis_bus
    elif not db.sqlite:
        bus = PostgresListener(db.url, broadcaster.poke)
    if bus is not None:
        await bus.start()
    log.info("live stream started at event %s via %s", broadcaster.last_id, type(bus).__name__)
    app.state.live = LiveStream(broadcaster, bus)
    _tune_gc()
    return app.state.live  # type: ignore[no-any-return]


async def stop_live(app: FastAPI) -> None:
    """Stop the bus, then the broadcaster."""
    live: LiveStream | None = getattr(app.state, "live", None)
    if live is None:
        return
    if live.bus is not None:
        await live.bus.stop()
    await live.broadcaster.stop()
    db = app.state.db
    db.after_events[:] = [
        cb
        for cb in db.after_events
        if cb != live.broadcaster.poke and getattr(cb, "__self__", None) is not live.bus
    ]
    app.state.live = None
