"""What the driver-route jobs share: the caller's routes, their stops, and the route events."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import User
from hub.driver_routes.models import Route, RouteStop
from hub.errors import Forbidden, NotFound
from hub.events import service as events
from hub.geo.areas import locate
from hub.i18n import _
from hub.rules.states import Role


async def own_route(
    session: AsyncSession, user: User, route_id: int, *, lock: bool = False
) -> Route:
    """Return the caller's route (locked with ``lock``); 404 when unknown, 403 when another's."""
    query = select(Route).where(Route.id == route_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    route = await session.scalar(query)
    if route is None:
        raise NotFound(_("There is no route with id {id}."), id=route_id)
    if route.driver_id != user.id and user.role != Role.ADMIN:
        raise Forbidden(_("Route {id} belongs to another driver."), id=route_id)
    return route


async def get_route(session: AsyncSession, *, user: User, route_id: int) -> Route:
    """Return one of the caller's routes; 404 when unknown, 403 when another driver's."""
    return await own_route(session, user, route_id)


async def list_routes(session: AsyncSession, *, user: User, limit: int = 20) -> list[Route]:
    """Return the caller's routes, newest first (at most ``limit``)."""
    rows = await session.scalars(
        select(Route).where(Route.driver_id == user.id).order_by(Route.id.desc()).limit(limit)
    )
    return list(rows.all())


async def route_stops(session: AsyncSession, route_id: int) -> list[RouteStop]:
    """Return a route's stops in order, fresh from the database."""
    rows = await session.scalars(
        select(RouteStop)
        .where(RouteStop.route_id == route_id)
        .order_by(RouteStop.seq)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def route_event(
    session: AsyncSession, route: Route, user: User, kind: str, **payload: object
) -> None:
    """Log a route change in the area of its start point (it changes no totals)."""
    codes = locate(route.start_lon, route.start_lat)
    await events.append(
        session,
        kind=kind,
        entity="route",
        entity_id=route.id,
        actor_id=user.id,
        region=codes.region if codes else None,
        departement=codes.departement if codes else None,
        payload={"route_id": route.id, **payload},
    )
