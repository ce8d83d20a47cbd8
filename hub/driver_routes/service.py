"""Drivers' routes: plan over unreserved ready batches, reserve them, mark stops done.

A batch is *reserved* while an active route has an undone stop for it. ``RouteStop.open_batch_id``
mirrors that (the batch id while the stop is open, NULL otherwise) under a unique index, so the
database itself refuses two open pickups of one batch.

Planning takes seconds (PyVRP), so no lock is held while solving: candidates are read in a
read session, solved in a worker thread, then the write session locks the planned batches and
checks they are still ready and unreserved. When another driver got there first, the write
transaction is rolled back (releasing SQLite's write lock) and the route is planned again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import gpxpy.gpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.access import require_role
from hub.area_filter import area_condition, parse_area_param
from hub.auth.models import User
from hub.batches.models import Batch
from hub.batches.service import carry, lock_batch
from hub.db import utcnow
from hub.driver_routes.models import Route, RouteStop
from hub.driver_routes.reasons import human
from hub.driver_routes.schemas import RouteIn, RouteOut, StopOut
from hub.errors import Conflict, Forbidden, HubError, Invalid, NotFound
from hub.events import service as events
from hub.geo.areas import locate
from hub.geodesy import haversine_km
from hub.i18n import Lang
from hub.needs.models import Need
from hub.sites.models import Site
from hub.timeutil import PARIS
from hub.validation import minutes_to_hhmm
from matching.routes import Driver, MatrixProvider, Place, Plan, RoutingServiceError, Shipment
from matching.routes import plan_routes as solve_routes

# The API answers a person holding a phone: a short solve is good enough for a dozen batches.
SOLVE_SECONDS = 2.0
# More candidates than a car can take only slow the solver down; keep the nearest ones.
CANDIDATE_LIMIT = 40
# When nothing is within reach, still hand the nearest few to the planner for its reasons.
REASON_SAMPLE = 5
# Re-plans when other drivers reserve our batches between planning and reserving.
ATTEMPTS = 3
SERVICE_MIN = 5.0
MAX_REASONS = 5

ReadSessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class RoutingUnavailable(HubError):
    """The road-distance service is down or answered nonsense."""

    status = 503
    type = "routing_unavailable"


def now() -> datetime:
    """Return the current time in Paris (tests replace this to plan at a fixed hour)."""
    return datetime.now(PARIS)


@dataclass(frozen=True)
class Candidate:
    """A ready, unreserved batch with the two places a driver visits for it."""

    batch_id: int
    code: str
    quantity: int
    lab: Site
    hospital: Site


def _crow_km(a: Place, b: Place) -> float:
    """Great-circle distance in km."""
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def _place(site: Site) -> Place:
    return Place(site.lon, site.lat)


async def candidates(
    session: AsyncSession, *, data: RouteIn, speed_kmh: float, limit: int = CANDIDATE_LIMIT
) -> list[Candidate]:
    """Ready batches nobody has reserved, in the area, nearest first and within reach.

    Reach is a lower bound (crow-fly start → lab → hospital → start at ``speed_kmh``), so it
    never drops a batch the planner could serve; when none is within reach, the nearest few
    are still returned so that the planner can say why they do not fit.
    """
    area = parse_area_param(data.area)
    lab, hospital = aliased(Site), aliased(Site)
    reserved = select(RouteStop.open_batch_id).where(RouteStop.open_batch_id.is_not(None))
    query = (
        select(Batch, lab, hospital)
        .join(Need, Need.id == Batch.need_id)
        .join(lab, lab.id == Batch.lab_id)
        .join(hospital, hospital.id == Need.hospital_id)
        .where(
            Batch.state == "ready",
            Batch.made > Batch.picked_up,
            Batch.id.not_in(reserved),
        )
    )
    if area is not None:
        query = query.where(
            area_condition(area, lab.region, lab.departement)
            | area_condition(area, hospital.region, hospital.departement)
        )
    rows = (await session.execute(query.order_by(Batch.id))).all()
    start = Place(data.start_lon, data.start_lat)
    scored = []
    for batch, lab_site, hospital_site in rows:
        p, d = _place(lab_site), _place(hospital_site)
        tour_km = _crow_km(start, p) + _crow_km(p, d) + _crow_km(d, start)
        minutes = tour_km / speed_kmh * 60.0 + 2 * SERVICE_MIN
        found = Candidate(
            batch.id, batch.code, batch.made - batch.picked_up, lab_site, hospital_site
        )
        scored.append((minutes <= data.available_minutes, _crow_km(start, p), found))
    scored.sort(key=lambda s: s[1])
    reachable = [c for ok, _, c in scored if ok]
    if reachable:
        return reachable[:limit]
    return [c for _, _, c in scored[:REASON_SAMPLE]]


def _start_minute(at: datetime) -> float:
    """Minutes since midnight, Paris time: the planner's clock, like the sites' hours."""
    local = at.astimezone(PARIS)
    return local.hour * 60 + local.minute + local.second / 60


def plan(
    found: list[Candidate],
    *,
    data: RouteIn,
    start_min: float,
    provider: MatrixProvider,
    seconds: float,
) -> Plan:
    """Plan one driver's tour over the candidates (pure and blocking: run it in a thread)."""
    shipments = [
        Shipment(
            id=str(c.batch_id),
            pickup=_place(c.lab),
            delivery=_place(c.hospital),
            quantity=c.quantity,
            pickup_window=(c.lab.opens_min, c.lab.closes_min),
            delivery_window=(c.hospital.opens_min, c.hospital.closes_min),
            pickup_service_min=SERVICE_MIN,
            delivery_service_min=SERVICE_MIN,
        )
        for c in found
    ]
    driver = Driver(
        id="driver",
        start=Place(data.start_lon, data.start_lat),
        capacity=data.capacity_units,
        available_minutes=data.available_minutes,
        shift_start_min=start_min,
    )
    # Whole batches only: a batch split over several trips could not be reserved as one.
    return solve_routes(
        shipments, [driver], matrix_provider=provider, seconds=seconds, split_loads=False
    )


def _no_route(found: list[Candidate], result: Plan, data: RouteIn) -> HubError:
    """The 409 a driver gets when nothing fits, with the planner's reasons."""
    if not found:
        return Conflict(
            "No ready batch is waiting for a driver {where}; try again later.",
            "Aucun lot prêt n’attend de chauffeur {where_fr} ; réessayez plus tard.",
            where=f"in {data.area}" if data.area else "anywhere",
            where_fr=f"dans {data.area}" if data.area else "pour l’instant",
        )
    by_id = {str(c.batch_id): c for c in found}
    shown = list(result.unassigned.items())[:MAX_REASONS]
    more = len(result.unassigned) - len(shown)

    def listed(lang: Lang) -> str:
        word, colon = ("batch", ":") if lang == "en" else ("lot", " :")
        reasons = [
            f"{word} {by_id[sid].code} ({by_id[sid].lab.name} → {by_id[sid].hospital.name})"
            f"{colon} {human(why, lang)}"
            for sid, why in shown
        ]
        tail = "" if more <= 0 else f"; and {more} more" if lang == "en" else f" ; et {more} autres"
        return ("; " if lang == "en" else " ; ").join(reasons) + tail

    return Conflict(
        "No route fits {units} units and {minutes} minutes from your start: {reasons}.",
        "Aucune tournée ne tient en {units} unités et {minutes} minutes depuis votre départ : "
        "{reasons_fr}.",
        units=data.capacity_units,
        minutes=data.available_minutes,
        reasons=listed("en"),
        reasons_fr=listed("fr"),
    )


async def _reserve(
    session: AsyncSession,
    *,
    user: User,
    data: RouteIn,
    result: Plan,
    found: list[Candidate],
    started: datetime,
    start_min: float,
) -> Route | None:
    """Lock the planned batches; create the route if all are still ready and free, else None."""
    planned = result.routes[0]
    by_id = {c.batch_id: c for c in found}
    ids = sorted({int(s.shipment_id) for s in planned.stops})
    # Sorted, so two drivers locking overlapping sets cannot deadlock on PostgreSQL.
    batches = (
        await session.scalars(
            select(Batch)
            .where(Batch.id.in_(ids))
            .order_by(Batch.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    taken = await session.scalar(
        select(RouteStop.open_batch_id).where(RouteStop.open_batch_id.in_(ids)).limit(1)
    )
    still = {
        b.id for b in batches if b.state == "ready" and b.made - b.picked_up == by_id[b.id].quantity
    }
    if taken is not None or still != set(ids):
        return None
    route = Route(
        driver_id=user.id,
        status="active",
        start_lat=data.start_lat,
        start_lon=data.start_lon,
        capacity=data.capacity_units,
        available_minutes=data.available_minutes,
        area=data.area or None,
        distance_km=round(planned.distance_km, 3),
        duration_min=round(planned.duration_min, 1),
        created_at=started,
    )
    session.add(route)
    await session.flush()
    for stop in planned.stops:
        c = by_id[int(stop.shipment_id)]
        site = c.lab if stop.kind == "pickup" else c.hospital
        # The ETA is when service starts: a driver early at a lab waits for it to open.
        service_start = max(stop.arrival_min, float(site.opens_min))
        session.add(
            RouteStop(
                route_id=route.id,
                seq=stop.seq,
                kind=stop.kind,
                batch_id=c.batch_id,
                open_batch_id=c.batch_id,
                site_id=site.id,
                quantity=stop.quantity,
                eta=started + timedelta(minutes=service_start - start_min),
            )
        )
    await session.flush()
    await _route_event(
        session, route, user, "route.planned", batch_ids=ids, distance_km=route.distance_km
    )
    return route


async def plan_route(
    session: AsyncSession,
    *,
    read_sessions: ReadSessions,
    user: User,
    data: RouteIn,
    provider: MatrixProvider,
    speed_kmh: float,
    seconds: float = SOLVE_SECONDS,
) -> Route:
    """Plan a route for a driver over unreserved ready batches and reserve them.

    ``session`` is the request's write session and must not have been used yet: on SQLite
    its first statement takes the database write lock, which must not be held while solving.
    """
    require_role(user, "driver")
    parse_area_param(data.area)  # 422 before any work
    for _ in range(ATTEMPTS):
        async with read_sessions() as reader:
            found = await candidates(reader, data=data, speed_kmh=speed_kmh)
        started = now()
        start_min = _start_minute(started)
        if not found:
            raise _no_route(found, Plan(routes=()), data)
        try:
            result = await asyncio.to_thread(
                plan, found, data=data, start_min=start_min, provider=provider, seconds=seconds
            )
        except RoutingServiceError as exc:
            raise RoutingUnavailable(
                "Road distances are unavailable: {error}",
                "Les distances routières sont indisponibles : {error}",
                error=str(exc),
            ) from exc
        if not result.routes:
            raise _no_route(found, result, data)
        try:
            route = await _reserve(
                session,
                user=user,
                data=data,
                result=result,
                found=found,
                started=started,
                start_min=start_min,
            )
        except IntegrityError:
            # The unique index on open stops caught a race the locks should have prevented.
            route = None
        if route is not None:
            return route
        # Another driver took one of these batches: let go of the locks and plan again.
        await session.rollback()
    raise Conflict(
        "Other drivers took the batches planned for you; ask again.",
        "D’autres chauffeurs ont pris les lots prévus pour vous ; redemandez.",
    )


async def _own_route(
    session: AsyncSession, user: User, route_id: int, *, lock: bool = False
) -> Route:
    """Return the caller's route; 404 when unknown, 403 when another driver's."""
    query = select(Route).where(Route.id == route_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    route = await session.scalar(query)
    if route is None:
        raise NotFound(
            "There is no route with id {id}.", "Il n’y a pas de tournée n° {id}.", id=route_id
        )
    if route.driver_id != user.id and user.role != "admin":
        raise Forbidden(
            "Route {id} belongs to another driver.",
            "La tournée {id} appartient à un autre chauffeur.",
            id=route_id,
        )
    return route


async def get_route(session: AsyncSession, *, user: User, route_id: int) -> Route:
    """Return one of the caller's routes."""
    return await _own_route(session, user, route_id)


async def list_routes(session: AsyncSession, *, user: User, limit: int = 20) -> list[Route]:
    """Return the caller's routes, newest first."""
    rows = await session.scalars(
        select(Route).where(Route.driver_id == user.id).order_by(Route.id.desc()).limit(limit)
    )
    return list(rows.all())


async def _stops(session: AsyncSession, route_id: int) -> list[RouteStop]:
    rows = await session.scalars(
        select(RouteStop)
        .where(RouteStop.route_id == route_id)
        .order_by(RouteStop.seq)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def stop_done(
    session: AsyncSession, *, user: User, route_id: int, seq: int, quantity: int
) -> Route:
    """Mark a stop done with the quantity carried; moves the batch's picked_up or delivered."""
    # Lock order: route, then need, then batch (the batch service's order).
    route = await _own_route(session, user, route_id, lock=True)
    if route.status != "active":
        raise Conflict(
            "Route {id} is {status}; its stops can no longer change.",
            "La tournée {id} est {status} ; ses arrêts ne peuvent plus changer.",
            id=route.id,
            status=route.status,
        )
    stops = await _stops(session, route.id)
    stop = next((s for s in stops if s.seq == seq), None)
    if stop is None:
        raise NotFound(
            "Route {id} has no stop {seq}.",
            "La tournée {id} n’a pas d’arrêt {seq}.",
            id=route.id,
            seq=seq,
        )
    if stop.done_at is not None:
        raise Conflict(
            "Stop {seq} was already done with {units} units.",
            "L’arrêt {seq} a déjà été fait avec {units} unités.",
            seq=seq,
            units=stop.done_quantity,
        )
    if stop.open_batch_id is None:
        raise Conflict(
            "Stop {seq} was given back; another driver may have it now.",
            "L’arrêt {seq} a été rendu ; un autre chauffeur l’a peut-être pris.",
            seq=seq,
        )
    batch, need = await lock_batch(session, stop.batch_id)
    extra = {"route_id": route.id, "seq": seq}
    finished = [stop]
    if stop.kind == "pickup":
        if quantity == 0:
            # Nothing to collect: its delivery is moot, and the batch is free for another run.
            finished += [s for s in stops if s.batch_id == stop.batch_id and s.done_at is None]
        else:
            await carry(
                session,
                batch=batch,
                need=need,
                counter="picked_up",
                quantity=quantity,
                actor=user,
                extra=extra,
            )
    else:
        pickup = next(
            (s for s in stops if s.batch_id == stop.batch_id and s.kind == "pickup"), None
        )
        if pickup is not None and pickup.done_at is None:
            raise Conflict(
                "Pick up batch {code} first (stop {seq}).",
                "Chargez d’abord le lot {code} (arrêt {seq}).",
                code=batch.code,
                seq=pickup.seq,
            )
        if batch.state == "received":
            # The hospital confirmed receipt before the driver tapped "done": its count stands.
            quantity = batch.delivered
        elif quantity == 0:
            raise Invalid(
                "A delivery hands over at least one unit; if {code} could not be delivered, "
                "call the coordinator and keep the stop open.",
                "Une livraison remet au moins une unité ; si {code} n’a pas pu être livré, "
                "appelez le coordinateur et laissez l’arrêt ouvert.",
                code=batch.code,
            )
        else:
            await carry(
                session,
                batch=batch,
                need=need,
                counter="delivered",
                quantity=quantity,
                actor=user,
                extra=extra,
            )
    at = utcnow()
    for s in finished:
        s.done_at, s.open_batch_id = at, None
        s.done_quantity = quantity if s is stop else 0
    # Done when every stop is done or was given back (neither holds its batch any more).
    if all(s.open_batch_id is None for s in stops):
        route.status, route.finished_at = "done", at
    await session.flush()
    return route


async def _route_event(
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


async def release(session: AsyncSession, *, user: User, route_id: int) -> Route:
    """Give a route back: stops not done are freed for other drivers, except the deliveries of
    batches on board, which stay on the route (it is released once they are done)."""
    route = await _own_route(session, user, route_id, lock=True)
    if route.status != "active":
        raise Conflict(
            "Route {id} is already {status}.",
            "La tournée {id} est déjà {status}.",
            id=route.id,
            status=route.status,
        )
    stops = await _stops(session, route.id)
    picked = {s.batch_id for s in stops if s.kind == "pickup" and s.done_at is not None}
    freed, on_board = [], []
    for s in stops:
        if s.done_at is not None or s.open_batch_id is None:
            continue
        if s.kind == "delivery" and s.batch_id in picked:
            on_board.append(s.batch_id)  # the goods are in the car: only this driver can go
        else:
            s.open_batch_id = None
            freed.append(s.batch_id)
    if not freed and on_board:
        codes = await session.scalars(select(Batch.code).where(Batch.id.in_(on_board)))
        raise Conflict(
            "Route {id} only has batches on board left ({codes}): deliver them.",
            "Il ne reste sur la tournée {id} que des lots à bord ({codes}) : livrez-les.",
            id=route.id,
            codes=", ".join(sorted(codes)),
        )
    if not on_board:
        route.status, route.finished_at = "released", utcnow()
    await session.flush()
    await _route_event(
        session,
        route,
        user,
        "route.released",
        batch_ids=sorted(set(freed)),
        on_board=sorted(on_board),
    )
    return route


def geo_uri(lat: float, lon: float, name: str) -> str:
    """A ``geo:`` URI that Android and iOS navigation apps open, with a label."""
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({quote(name)})"


def directions_url(lat1: float, lon1: float, lat2: float, lon2: float) -> str:
    """OpenStreetMap car directions between two points."""
    return (
        "https://www.openstreetmap.org/directions?engine=fossgis_osrm_car"
        f"&route={lat1:.5f},{lon1:.5f};{lat2:.5f},{lon2:.5f}"
    )


async def route_out(session: AsyncSession, route: Route) -> RouteOut:
    """Render a route with its stops, contacts and navigation links (for its driver)."""
    rows = (
        await session.execute(
            select(RouteStop, Batch, Site)
            .join(Batch, Batch.id == RouteStop.batch_id)
            .join(Site, Site.id == RouteStop.site_id)
            .where(RouteStop.route_id == route.id)
            .order_by(RouteStop.seq)
        )
    ).all()
    stops = []
    prev = (route.start_lat, route.start_lon)
    for stop, batch, site in rows:
        stops.append(
            StopOut(
                seq=stop.seq,
                kind=stop.kind,  # type: ignore[arg-type]
                batch_id=batch.id,
                batch_code=batch.code,
                design=batch.design,
                site_id=site.id,
                site=site.name,
                address=site.address,
                # Contacts are for the trip: once the route is over, the driver loses them.
                contact_name=site.contact_name if route.status == "active" else None,
                contact_phone=site.contact_phone if route.status == "active" else None,
                lat=site.lat,
                lon=site.lon,
                quantity=stop.quantity,
                eta=stop.eta.astimezone(PARIS),
                opens=minutes_to_hhmm(site.opens_min),
                closes=minutes_to_hhmm(site.closes_min),
                done_at=stop.done_at,
                done_quantity=stop.done_quantity,
                given_back=stop.done_at is None and stop.open_batch_id is None,
                geo_uri=geo_uri(site.lat, site.lon, site.name),
                directions_url=directions_url(*prev, site.lat, site.lon),
            )
        )
        prev = (site.lat, site.lon)
    return RouteOut(
        id=route.id,
        driver_id=route.driver_id,
        status=route.status,  # type: ignore[arg-type]
        start_lat=route.start_lat,
        start_lon=route.start_lon,
        capacity_units=route.capacity,
        available_minutes=route.available_minutes,
        area=route.area,
        distance_km=route.distance_km,
        duration_min=route.duration_min,
        created_at=route.created_at,
        stops=stops,
        gpx_url=f"/api/v1/routes/{route.id}/gpx",
    )


def gpx_of(route: RouteOut) -> str:
    """The route as GPX 1.1: a waypoint per stop and a route from the start and back."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "the hub"
    gpx.name = f"Route {route.id}"
    path = gpxpy.gpx.GPXRoute(name=f"Route {route.id}")
    path.points.append(gpxpy.gpx.GPXRoutePoint(route.start_lat, route.start_lon, name="Start"))
    for s in route.stops:
        verb = "Pickup" if s.kind == "pickup" else "Delivery"
        name = f"{s.seq}. {verb}: {s.site}"
        text = f"{s.quantity} × {s.design}, batch {s.batch_code}; {s.address}"
        if s.contact_phone:
            text += f"; {s.contact_name or ''} {s.contact_phone}".rstrip()
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                s.lat, s.lon, name=name, description=text, time=s.eta, symbol="Flag"
            )
        )
        path.points.append(
            gpxpy.gpx.GPXRoutePoint(s.lat, s.lon, name=name, description=text, time=s.eta)
        )
    path.points.append(gpxpy.gpx.GPXRoutePoint(route.start_lat, route.start_lon, name="End"))
    gpx.routes.append(path)
    return gpx.to_xml(version="1.1")
