"""Paging through the event log."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from hub.access import covers
from hub.area_filter import parse_area_param
from hub.deps import CurrentUser, ReadSessionDep
from hub.events import service
from hub.events.privacy import public_payload


class EventOut(BaseModel):
    """One event of the log."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor_id: int | None
    kind: str
    entity: str
    entity_id: int | None
    payload: dict[str, Any]
    region: str | None
    departement: str | None


class EventPage(BaseModel):
    """Events after ``since``; pass ``next_since`` to get the following page."""

    items: list[EventOut]
    next_since: int


router = APIRouter(tags=["events"])


@router.get("/events", response_model=EventPage)
async def list_events(
    user: CurrentUser,
    session: ReadSessionDep,
    since: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    area: str | None = None,
) -> EventPage:
    """Return events with id greater than ``since``, oldest first.

    The full log (tracking codes, who did what, reasons) is the audit trail of the
    coordinators of each event's area; everyone else gets counts, states and places.
    """
    # Up to the safe horizon only: a page never ends past an event that can still commit.
    head = await service.snapshot_head(session)
    rows = await service.list_events(
        session, since=since, limit=limit, area=parse_area_param(area), until=head
    )
    items = [
        EventOut.model_validate(r)
        if covers(user, r.region, r.departement)
        else EventOut.model_validate(r).model_copy(
            update={"payload": public_payload(r.payload or {}), "actor_id": None}
        )
        for r in rows
    ]
    return EventPage(items=items, next_since=items[-1].id if items else since)
