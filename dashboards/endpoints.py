"""The dashboard's JSON endpoints and the live stream (the page itself is in ``hub.web``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from dashboards import service
from dashboards.schemas import Bottlenecks, DailyOutput, MapView, Outlines
from dashboards.stream import router as stream_router
from hub.access import covers_area
from hub.area_filter import parse_area_param
from hub.deps import OptionalUser, ReadSessionDep
from hub.geo.areas import Area, departement_names, map_projection, svg_paths

AreaParam = Annotated[str, Query(description="FR, region:CODE or departement:CODE")]

api = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


def _area(text: str) -> Area:
    return parse_area_param(text) or Area("FR")


@api.get("/outlines", response_model=Outlines)
async def outlines(response: Response) -> Outlines:
    """Return the SVG outlines of the départements (static: cache them)."""
    projection = map_projection()
    response.headers["Cache-Control"] = "public, max-age=86400"
    return Outlines(
        width=projection.width,
        height=projection.height,
        paths=svg_paths(),
        names=departement_names(),
    )


@api.get("/map", response_model=MapView)
async def map_(session: ReadSessionDep, user: OptionalUser, area: AreaParam = "FR") -> MapView:
    """Return unmet demand per département and the sites of an area as points."""
    parsed = _area(area)
    return await service.map_view(session, parsed, detailed=covers_area(user, parsed))


@api.get("/bottlenecks", response_model=Bottlenecks)
async def bottlenecks(
    session: ReadSessionDep, user: OptionalUser, area: AreaParam = "FR"
) -> Bottlenecks:
    """Return needs due within 48 h still unmet, stalled batches, and uncovered départements."""
    parsed = _area(area)
    return await service.bottlenecks(session, parsed, detailed=covers_area(user, parsed))


@api.get("/daily", response_model=DailyOutput)
async def daily(
    session: ReadSessionDep,
    area: AreaParam = "FR",
    days: Annotated[int, Query(ge=1, le=90)] = 14,
) -> DailyOutput:
    """Return units made and delivered per day."""
    return await service.daily_output(session, _area(area), days=days)


class StreamStatus(BaseModel):
    """This process's live stream: how many clients, up to which event, how many dropped."""

    clients: int
    last_event_id: int
    dropped: int


@api.get("/stream", response_model=StreamStatus)
async def stream_status(request: Request) -> StreamStatus:
    """Return this process's live-stream counters (for operators and the benchmark).

    ``last_event_id`` is where its reader stands; it stands still while no client listens.
    """
    live = getattr(request.app.state, "live", None)
    if live is None:
        return StreamStatus(clients=0, last_event_id=0, dropped=0)
    broadcaster = live.broadcaster
    return StreamStatus(
        clients=broadcaster.client_count,
        last_event_id=broadcaster.last_id,
        dropped=broadcaster.dropped,
    )


def include_dashboards(app: FastAPI) -> None:
    """Add the live stream and the dashboard's JSON endpoints to the app."""
    app.include_router(stream_router)
    app.include_router(api)
