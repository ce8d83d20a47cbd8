"""Drivers' routes: plan, follow stop by stop, give back, export as GPX."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, status
from fastapi.responses import Response

from hub.db import Database
from hub.deps import CurrentUser, ReadSessionDep, SessionDep, SettingsDep, get_db
from hub.driver_routes.schemas import RouteIn, RouteList, RouteOut, StopDoneIn
from hub.driver_routes.service import common, planning, rendering, stops
from hub.i18n import language
from matching.routes import Ferry, provider_from_url

router = APIRouter(tags=["routes"])


@router.post("/routes", status_code=status.HTTP_201_CREATED, response_model=RouteOut)
async def plan(
    body: RouteIn,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    db: Annotated[Database, Depends(get_db)],
) -> RouteOut:
    """Plan a route over the area's ready batches and reserve them for you (drivers)."""
    route = await planning.plan_route(
        session,
        read_sessions=db.read_sessions,
        user=user,
        data=body,
        provider=provider_from_url(
            settings.routing_url, circuity=settings.circuity, speed_kmh=settings.speed_kmh
        ),
        speed_kmh=settings.speed_kmh,
        seconds=settings.route_seconds,
        ferry=Ferry(settings.ferry_minutes, settings.ferry_km)
        if settings.allow_sea_crossings
        else None,
    )
    return await rendering.route_out(session, route)


@router.get("/routes", response_model=RouteList)
async def list_(user: CurrentUser, session: ReadSessionDep) -> RouteList:
    """Your routes, newest first."""
    routes = await common.list_routes(session, user=user)
    return RouteList(items=[await rendering.route_out(session, r) for r in routes])


@router.get("/routes/{route_id}", response_model=RouteOut)
async def get(route_id: int, user: CurrentUser, session: ReadSessionDep) -> RouteOut:
    """One of your routes."""
    route = await common.get_route(session, user=user, route_id=route_id)
    return await rendering.route_out(session, route)


@router.post("/routes/{route_id}/stops/{seq}/done", response_model=RouteOut)
async def stop_done(
    route_id: int, seq: int, body: StopDoneIn, user: CurrentUser, session: SessionDep
) -> RouteOut:
    """Mark a stop done with the quantity actually carried."""
    route = await stops.stop_done(
        session, user=user, route_id=route_id, seq=seq, quantity=body.quantity
    )
    return await rendering.route_out(session, route)


@router.post("/routes/{route_id}/release", response_model=RouteOut)
async def release(route_id: int, user: CurrentUser, session: SessionDep) -> RouteOut:
    """Give the route back: stops not done go back to other drivers."""
    route = await stops.release(session, user=user, route_id=route_id)
    return await rendering.route_out(session, route)


@router.get("/routes/{route_id}/gpx", response_class=Response)
async def gpx(
    route_id: int,
    user: CurrentUser,
    session: ReadSessionDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """The route as a GPX 1.1 file for navigation apps, named in your language."""
    route = await common.get_route(session, user=user, route_id=route_id)
    body = rendering.gpx_of(await rendering.route_out(session, route), language(accept_language))
    return Response(
        body,
        media_type="application/gpx+xml",
        headers={"Content-Disposition": f'attachment; filename="route-{route_id}.gpx"'},
    )
