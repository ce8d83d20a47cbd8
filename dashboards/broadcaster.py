"""The broadcaster: reads new events from the log once, and fans them out to subscribers.

Every process runs one. A "poke" (an in-process commit, a PostgreSQL NOTIFY or a Redis
message) wakes it; it then reads the events after the last id it delivered, in id order, up
to the safe horizon (``hub.events.service``): on SQLite writers take turns so ids commit in
order; on PostgreSQL it stops below any id that can still commit, so it never skips one.

Each subscriber has a bounded queue. Delivery is ``put_nowait``: a subscriber whose queue is
full is dropped and told to reconnect with ``since``; the others never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass

from dashboards.details import load_names
from dashboards.protocol import EventMessage, event_message, heartbeat_message
from dashboards.snapshots import Snapshots
from hub.db import Database
from hub.events.service import last_event_id, list_events, safe_horizon
from hub.waiting import wait_set

log = logging.getLogger("hub.live")

# Without any poke (a writer in a process we cannot hear), new events still arrive this fast.
POLL_SECONDS = 2.0
PAGE = 500
# How long one catch-up waits for PostgreSQL writes in flight before delivering what is safe
# (the writer's own commit pokes again).
HORIZON_WAIT_SECONDS = 1.0
# Queue items are (event id, text); heartbeats and the end of a connection carry ids that
# no event has.
HEARTBEAT_ID = 0
DISCONNECTED_ID = -1


class NotCaughtUp(Exception):
    """The reader could not reach the log's head for a new client (the database failed).

    While no client listened the reader stood still; a client opened at that old position
    would miss the events up to the head, which the next round passes over. It must come back.
    """


@dataclass(eq=False)
class Subscriber:
    """One websocket client: its area, its variant and its bounded queue of messages."""

    key: str
    detailed: bool
    queue: asyncio.Queue[tuple[int, str]]
    # Set when its queue overflowed; the sender closes the connection at its next message.
    dropped: bool = False
    # The last event id this client was sent: where it must resume from.
    sent: int = 0


class Broadcaster:
    """Delivers each new event of the log to the subscribers of its areas."""

    def __init__(
        self, db: Database, *, queue_size: int = 256, heartbeat_seconds: float = 20.0
    ) -> None:
        self.db = db
        self.queue_size = queue_size
        self.heartbeat_seconds = heartbeat_seconds
        self.last_id = 0
        self.dropped = 0
        self._subscribers: dict[str, set[Subscriber]] = defaultdict(set)
        self._detailed = 0
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # One catch-up at a time; ``fresh`` callers share the next one (single flight).
        self._reading = asyncio.Lock()
        self._next_round: asyncio.Task[None] | None = None
        # Set while no client listens: ``last_id`` then stands still until one comes.
        self._parked = False
        self.snapshots = Snapshots(db)

    async def start(self) -> None:
        """Start after the newest event: subscribers get history from the log, not from here."""
        head = await self._head()
        if head is None:
            async with self.db.background_sessions() as session:
                head = await last_event_id(session)
        self.last_id = head
        self._tasks = [
            asyncio.create_task(self._run(), name="live-broadcaster"),
            asyncio.create_task(self._beat(), name="live-heartbeat"),
        ]

    async def stop(self) -> None:
        """Stop reading; connected clients are closed by the server."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def poke(self) -> None:
        """Wake the reader: new events may have been committed."""
        self._wake.set()

    def subscribe(self, key: str, *, detailed: bool) -> Subscriber:
        """Register a client for an area key (``FR``, ``region:84``, ``departement:38``)."""
        subscriber = Subscriber(key, detailed, asyncio.Queue(self.queue_size))
        self._subscribers[key].add(subscriber)
        self._detailed += detailed
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Forget a client (idempotent)."""
        group = self._subscribers.get(subscriber.key)
        if group is not None and subscriber in group:
            group.discard(subscriber)
            self._detailed -= subscriber.detailed
            if not group:
                del self._subscribers[subscriber.key]

    @property
    def client_count(self) -> int:
        """Return how many clients are subscribed."""
        return sum(len(group) for group in self._subscribers.values())

    async def _run(self) -> None:
        while True:
            await wait_set(self._wake, POLL_SECONDS)
            self._wake.clear()
            try:
                async with self._reading:
                    await self.catch_up()
            except Exception:
                # A database blip must not end the stream; the next poke or poll retries.
                log.exception("live stream: reading new events failed")
                await asyncio.sleep(0.5)

    async def _beat(self) -> None:
        # One timer for the whole process rather than one per client: idle clients (empty
        # queue) get a heartbeat so that proxies keep their connections open.
        beat = (HEARTBEAT_ID, heartbeat_message())
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            for group in tuple(self._subscribers.values()):
                for subscriber in tuple(group):
                    if subscriber.queue.empty():
                        subscriber.queue.put_nowait(beat)

    async def fresh(self) -> int:
        """Catch up with the log as it is now and return the last delivered id.

        Raises :class:`NotCaughtUp` when the reader stood still and could not reach the head.
        Concurrent callers (a reconnect storm) share one catch-up: the next one to start,
        which begins after all of them called.
        """
        if self._next_round is None or self._next_round.done():
            self._next_round = asyncio.create_task(self._round())
        round_ = self._next_round
        try:
            await asyncio.shield(round_)
        except Exception as exc:
            if self._parked:
                raise NotCaughtUp from exc
            # Everything up to ``last_id`` was delivered: a client may open there, and the
            # poll reads on from it.
            log.warning("live stream: catching up for a new client failed", exc_info=True)
        return self.last_id

    async def _round(self) -> None:
        async with self._reading:
            # From here on, newcomers need another round: this one may have missed their state.
            self._next_round = None
            await self.catch_up()

    async def _head(self) -> int | None:
        """PostgreSQL: the safe horizon (no event at or below it can still commit)."""
        if self.db.sqlite:
            return None
        return await safe_horizon(self.db.read_engine, wait=HORIZON_WAIT_SECONDS)

    async def catch_up(self) -> None:
        """Read every event after the last delivered one, up to the safe horizon; deliver them.

        Callers hold ``_reading`` (one catch-up at a time keeps ``last_id`` moving forward).
        """
        while True:
            if not self._subscribers:
                # Nobody to deliver to in this process: read nothing. Under the day-shaped load
                # with no dashboard open, loading each write's event cost a fifth of the write,
                # and reading the head alone a read session per write (issue 13, cProfile).
                self._parked = True
                return
            head = await self._head()
            async with self.db.background_sessions() as session:
                if self._parked:
                    # Clients came while the reader stood still. Each one's opening stands
                    # where this round ends (``fresh``, which they call after subscribing), so
                    # the events in between are passed over without loading them.
                    newest = head if head is not None else await last_event_id(session)
                    self.last_id = max(self.last_id, newest)
                    self._parked = False
                rows = await list_events(session, since=self.last_id, limit=PAGE, until=head)
                names = await load_names(session, rows) if rows and self._detailed else {}
            for row in rows:
                self.deliver(event_message(row, names.get(row.id)))
            if len(rows) < PAGE:
                if head is not None:
                    # Ids up to the horizon that are not here were rolled back: never to come.
                    self.last_id = max(self.last_id, head)
                return

    def deliver(self, message: EventMessage) -> None:
        """Queue one event for every subscriber of its areas; drop those who are full."""
        if message.event_id <= self.last_id:
            return
        self.last_id = message.event_id
        item_public = (message.event_id, message.public)
        for key in message.keys:
            group = self._subscribers.get(key)
            if not group:
                continue
            # One tuple per key, shared by its subscribers: fan-out copies nothing per client.
            item_detailed = (message.event_id, message.for_subscriber(key, detailed=True))
            # A copy: dropping a subscriber changes the set.
            for subscriber in tuple(group):
                try:
                    subscriber.queue.put_nowait(
                        item_detailed if subscriber.detailed else item_public
                    )
                except asyncio.QueueFull:
                    self.dropped += 1
                    self.unsubscribe(subscriber)
                    subscriber.dropped = True
