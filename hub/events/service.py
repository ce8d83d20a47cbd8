"""Appending to and reading the event log."""

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.area_filter import area_condition
from hub.events.kinds import check_kind
from hub.events.models import Event
from hub.geo.areas import Area
from hub.ops.context import current_request_id, note_event
from hub.rules.totals import Totals

# Any constant works: it names the one advisory lock that orders event appends.
EVENT_APPEND_LOCK = 7_301_2020
NOTIFY_CHANNEL = "hub_events"


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
    bind = session.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        # Sequence values can commit out of order under concurrent writers, and a live reader
        # that moves forward past the highest id would then skip one. Holding this lock until
        # commit makes event ids commit in order. SQLite's BEGIN IMMEDIATE already does that.
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENT_APPEND_LOCK})
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
) -> list[Event]:
    """Return events with id greater than ``since``, oldest first, optionally in one area."""
    query = (
        select(Event)
        .where(Event.id > since, area_condition(area, Event.region, Event.departement))
        .order_by(Event.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def last_event_id(session: AsyncSession) -> int:
    """Return the id of the newest event, or 0."""
    return int((await session.scalar(select(func.coalesce(func.max(Event.id), 0)))) or 0)
