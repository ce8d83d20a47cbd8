"""Appending to and reading the event log.

Readers move forward by event id ("everything after the last id I delivered"), so they must
never see id N+1 while N can still commit. On SQLite, ``BEGIN IMMEDIATE`` makes writers take
turns, so ids commit in order and the newest visible id is a safe place to stand.

On PostgreSQL, ids come from a sequence and writers run side by side, so ids commit out of
order. Rather than a cluster-wide lock held until commit (which made two hub processes slower
than one, issue 13), readers stop at a *safe horizon*: an id below which nothing is still in
flight. It is the polling outbox's "read only below the oldest transaction still running"
technique (Oskar Dudycz, "How Postgres sequences issues can impact your messaging
guarantees", https://event-driven.io/en/ordering_in_postgres_outbox/, 2022, which orders by
transaction id), adapted to keep the delivery in event-id order, which clients resume by:

1. an append makes sure its transaction has an id *before* it draws its event id
   (``pg_current_xact_id()``, then the insert);
2. a reader reads the sequence's last value S, then, in a later statement, the transaction
   ids of every backend still running (``pg_stat_activity.backend_xid``): every transaction
   holding an id <= S and not yet ended is among them. Let R be the largest (a snapshot's
   ``xmax`` is not enough: it is the latest *completed* id + 1, and a transaction that got
   its id later can still be running; the first version of this code relied on it and a
   stress test caught the skip);
3. once no transaction of this database with an id <= R is running any more, all of them
   have committed or rolled back: every id <= S is final (visible, or a rollback's hole).
   (Looking at this database's transactions rather than a snapshot's ``xmin``, which is
   cluster-wide: a long transaction in another database must not hold the stream back.)

Readers keep these (S, R + 1) checkpoints per database and stand at the newest one that has
become final; nothing is locked, and a long transaction only holds the horizon back, it never
makes a reader skip. ``snapshot_head`` gives a read session a head id and ``summed_deltas``
the events between two ids, so "totals as of an event id" stay exact (``hub.stats.ledger``).
"""

import asyncio
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from hub.area_filter import area_condition
from hub.db import writers_take_turns
from hub.events.kinds import check_kind
from hub.events.models import Event
from hub.geo.areas import Area
from hub.ops.context import current_request_id, note_event
from hub.rules.totals import Totals, add_into

NOTIFY_CHANNEL = "hub_events"
# The checkpoints a database's horizon remembers (older ones are dropped; only the horizon's
# freshness suffers, never its safety).
MAX_CHECKPOINTS = 64
PROBE_SEQUENCE = text(
    "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass), 0)"
)
# The running transactions' ids (32 bits) and the current snapshot's xmax (64 bits), which
# gives their epoch. The hub's processes share one database role, so they see each other's.
PROBE_RUNNING = text(
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
    "array(SELECT backend_xid::text::bigint FROM pg_stat_activity "
    "WHERE backend_xid IS NOT NULL AND datname = current_database())"
)


async def append(
    session: AsyncSession,
    *,
    kind: str,
    entity: str,
    entity_id: int | None,
    actor_id: int | None,
    region: str | None,
    departement: str | None,
    payload: dict[str, Any] | None = None,
    totals_delta: Totals | None = None,
) -> Event:
    """Append an event in the caller's transaction and return it.

    Raises :class:`hub.events.kinds.UnknownEventKind` for a kind without words.
    """
    check_kind(kind)
    postgres = not writers_take_turns(session)
    if postgres:
        # The transaction id first, then the event id (the module's docstring, step 1): a
        # reader's horizon relies on it. Cheap and lock-free; a no-op if it already has one.
        await session.execute(text("SELECT pg_current_xact_id()"))
    body = dict(payload or {})
    if totals_delta:
        body["totals_delta"] = totals_delta
    event = Event(
        kind=kind,
        entity=entity,
        entity_id=entity_id,
        actor_id=actor_id,
        payload=body,
        region=region,
        departement=departement,
        request_id=current_request_id(),
    )
    session.add(event)
    await session.flush()
    if postgres:
        # Delivered to listeners only when the transaction commits.
        await session.execute(
            text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": str(event.id)}
        )
    session.info["events_appended"] = True
    note_event(session, kind)  # counted in the metrics if the transaction commits
    return event


async def list_events(
    session: AsyncSession,
    *,
    since: int = 0,
    limit: int = 100,
    area: Area | None = None,
    until: int | None = None,
) -> list[Event]:
    """Return events with ``since < id <= until``, oldest first, optionally in one area."""
    query = select(Event).where(
        Event.id > since, area_condition(area, Event.region, Event.departement)
    )
    if until is not None:
        query = query.where(Event.id <= until)
    return list((await session.scalars(query.order_by(Event.id).limit(limit))).all())


async def last_event_id(session: AsyncSession) -> int:
    """Return the id of the newest event, or 0."""
    return int((await session.scalar(select(func.coalesce(func.max(Event.id), 0)))) or 0)


@dataclass
class _Horizon:
    """One PostgreSQL database's checkpoints (S, R + 1) and the newest id known to be final."""

    safe: int = 0
    checkpoints: list[tuple[int, int]] = field(default_factory=list)

    def settle(self, oldest: int) -> None:
        """Advance ``safe`` past every checkpoint whose transactions (ids < bound) all ended.

        ``oldest``: the smallest id of a transaction still running (or any larger number).
        """
        done = [s for s, bound in self.checkpoints if bound <= oldest]
        if done:
            self.safe = max(self.safe, *done)
            self.checkpoints = [(s, b) for s, b in self.checkpoints if b > oldest and s > self.safe]


async def _running(connection: AsyncConnection) -> tuple[int, list[int]]:
    """Return the current snapshot's xmax and this database's running transaction ids."""
    xmax, running = (await connection.execute(PROBE_RUNNING)).one()
    xmax = int(xmax)
    # Widen each 32-bit id to 64 bits next to xmax (running ids are within 2^31 of it).
    return xmax, [xmax + ((int(x) - xmax + 2**31) % 2**32 - 2**31) for x in running or ()]


# Keyed by connection pool: one per Database (its read engine shares the write engine's pool).
_horizons: "weakref.WeakKeyDictionary[Any, _Horizon]" = weakref.WeakKeyDictionary()


async def safe_horizon(engine: AsyncEngine, *, wait: float = 0.5) -> int:
    """Return an event id such that no event at or below it can still commit (PostgreSQL).

    Waits up to ``wait`` seconds for transactions in flight to end, then settles for the
    newest id known to be final. A session opened afterwards sees every event up to it.
    """
    horizon = _horizons.setdefault(engine.sync_engine.pool, _Horizon())
    async with engine.connect() as connection:
        # Each statement its own snapshot: S must be read before XM (step 2).
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        last_value = int((await connection.scalar(PROBE_SEQUENCE)) or 0)
        xmax, running = await _running(connection)
        if last_value > horizon.safe and len(horizon.checkpoints) < MAX_CHECKPOINTS:
            horizon.checkpoints.append((last_value, max(running, default=0) + 1))
        horizon.settle(min(running, default=xmax))
        deadline = time.monotonic() + wait
        pause = 0.001
        while horizon.safe < last_value and time.monotonic() < deadline:
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)
            xmax, running = await _running(connection)
            horizon.settle(min(running, default=xmax))
    return horizon.safe


async def snapshot_head(session: AsyncSession) -> int:
    """Return the event id a read session stands at; call it before the session's first query.

    SQLite: the newest event (writers take turns). PostgreSQL: the safe horizon, probed on
    another connection before this session takes its snapshot, so the session sees all of it.
    It does not wait for writes in flight: totals as of a slightly older id are as exact, and
    under a steady stream of writes every ``/stats`` waited for them (issue 13).
    """
    if writers_take_turns(session):
        return await last_event_id(session)
    bind = session.bind
    assert isinstance(bind, AsyncEngine)
    return await safe_horizon(bind, wait=0)


async def summed_deltas(
    session: AsyncSession, area: Area | None, *, after: int, upto: int | None = None
) -> Totals:
    """Return the summed ``totals_delta`` of the events of ``area`` with ``after < id <= upto``.

    ``upto`` None: every event the session sees beyond ``after``. The caller's session must
    see every event up to ``upto`` (a head from ``snapshot_head`` or an older one): then the
    sum is exactly what those writes changed in the totals (``hub.rules.totals``).
    """
    query = select(Event.payload).where(
        Event.id > after, area_condition(area, Event.region, Event.departement)
    )
    if upto is not None:
        query = query.where(Event.id <= upto)
    out: Totals = {}
    for payload in await session.scalars(query):
        add_into(out, (payload or {}).get("totals_delta") or {})
    return out
