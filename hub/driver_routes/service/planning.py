"""Plan a driver's route over unreserved ready batches, and reserve them.

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
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.access import require_role
from hub.area_filter import area_condition, parse_area_param
from hub.auth.models import User
from hub.batches.models import Batch
from hub.driver_routes.models import Route, RouteStop
from hub.driver_routes.schemas import RouteIn
from hub.driver_routes.service.common import route_event
from hub.driver_routes.service.words import joined, left_out_phrase
from hub.errors import Conflict, HubError
from hub.geo.territory import where
from hub.geodesy import haversine_km
from hub.i18n import N_, Phrase, _
from hub.needs.models import Need
from hub.ops.metrics import ROUTE_PLANNER, timed
from hub.rules.states import BatchState, Role, RouteStatus
from hub.sites.models import Site
from hub.timeutil import DayClock, now_utc
from matching.routes import (
    Driver,
    Ferry,
    MatrixProvider,
    Place,
    Plan,
    PlannedRoute,
    RoutingServiceError,
    Shipment,
)
from matching.routes import plan_routes as solve_routes

# The API answers a person holding a phone: a short solve is good enough for a dozen batches.
SOLVE_SECONDS = 2.0
# More candidates than a car can take only slow the solver down; keep the nearest ones.
CANDIDATE_LIMIT = 40
# When nothing is within reach, still hand the nearest few to the planner for its reasons.
REASON_SAMPLE = 5
# Re-plans when other drivers reserve our batches between planning and reserving.
ATTEMPTS = 3
# Minutes at each stop, to load or unload and sign.
SERVICE_MIN = 5.0
# Reasons listed in a 409; the rest are counted ("and 3 more").
MAX_REASONS = 5

ReadSessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class RoutingUnavailable(HubError):
    """The road-distance service is down or answered nonsense."""

    status = 503
    type = "routing_unavailable"


def now() -> datetime:
    """Return the current instant (tests replace this to plan at a fixed hour)."""
    return now_utc()


def start_place(data: RouteIn) -> Place:
    """The driver's start, on its landmass."""
    return Place(data.start_lon, data.start_lat, where(data.start_lon, data.start_lat).land)


def route_clock(data: RouteIn, started: datetime) -> DayClock:
    """The planner's clock for a route: elapsed minutes since midnight where the driver starts.

    Each site's hours are wall times on its own clock, placed on this one; ETAs are this
    clock's midnight plus elapsed minutes, so they stay true across a daylight-saving change.
    """
    return DayClock.of(started, where(data.start_lon, data.start_lat).time_zone)


@dataclass(frozen=True)
class Candidate:
    """A ready, unreserved batch with the two places a driver visits for it."""

    batch_id: int
    code: str
    quantity: int
    lab: Site
    hospital: Site


async def plan_route(
    session: AsyncSession,
    *,
    read_sessions: ReadSessions,
    user: User,
    data: RouteIn,
    provider: MatrixProvider,
    speed_kmh: float,
    seconds: float = SOLVE_SECONDS,
    ferry: Ferry | None = None,
) -> Route:
    """Plan a route for a driver over unreserved ready batches and reserve them.

    ``session`` is the request's write session and must not have been used yet: on SQLite
    its first statement takes the database write lock, which must not be held while solving.
    Raises 403 for a non-driver, 422 for a bad area, 409 when nothing fits (with the
    planner's reasons) or when other drivers keep taking the batches, 503 when road distances
    are unavailable. No leg crosses the sea unless ``ferry`` (HUB_ALLOW_SEA_CROSSINGS) prices it.
    """
    require_role(user, Role.DRIVER)
    parse_area_param(data.area)  # 422 before any work
    for _attempt in range(ATTEMPTS):
        async with read_sessions() as reader:
            found = await candidates(reader, data=data, speed_kmh=speed_kmh)
        started = now()
        if not found:
            raise _nothing_ready(data)
        clock = route_clock(data, started)
        result = await _solve(
            found,
            data=data,
            started=started,
            clock=clock,
            provider=provider,
            seconds=seconds,
            ferry=ferry,
        )
        if not result.routes:
            raise _no_route(found, result, data, clock)
        try:
            route = await _reserve(
                session,
                user=user,
                data=data,
                result=result,
                found=found,
                started=started,
                clock=clock,
            )
        except IntegrityError:
            # The unique index on open stops caught a race the locks should have prevented.
            route = None
        if route is not None:
            return route
        # Another driver took one of these batches: let go of the locks and plan again.
        await session.rollback()
    raise Conflict(_("Other drivers took the batches planned for you; ask again."))


async def candidates(
    session: AsyncSession, *, data: RouteIn, speed_kmh: float, limit: int = CANDIDATE_LIMIT
) -> list[Candidate]:
    """Ready batches nobody has reserved, in the area, nearest first and within reach.

    Reach is a lower bound (crow-fly start → lab → hospital → start at ``speed_kmh``), so it
    never drops a batch the planner could serve; when none is within reach, the nearest few
    are still returned so that the planner can say why they do not fit.
    """
    start = Place(data.start_lon, data.start_lat)
    scored = []
    for found in await _unreserved(session, data.area):
        p, d = _place(found.lab), _place(found.hospital)
        tour_km = _crow_km(start, p) + _crow_km(p, d) + _crow_km(d, start)
        minutes = tour_km / speed_kmh * 60.0 + 2 * SERVICE_MIN
        scored.append((minutes <= data.available_minutes, _crow_km(start, p), found))
    scored.sort(key=lambda s: s[1])
    reachable = [c for ok, _km, c in scored if ok]
    if reachable:
        return reachable[:limit]
    return [c for _ok, _km, c in scored[:REASON_SAMPLE]]


async def _unreserved(session: AsyncSession, area_param: str | None) -> list[Candidate]:
    """Every ready batch with units left to carry and no open stop, in the area, by id."""
    area = parse_area_param(area_param)
    lab, hospital = aliased(Site), aliased(Site)
    reserved = select(RouteStop.open_batch_id).where(RouteStop.open_batch_id.is_not(None))
    query = (
        select(Batch, lab, hospital)
        .join(Need, Need.id == Batch.need_id)
        .join(lab, lab.id == Batch.lab_id)
        .join(hospital, hospital.id == Need.hospital_id)
        .where(
            Batch.state == BatchState.READY,
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
    return [
        Candidate(batch.id, batch.code, batch.made - batch.picked_up, lab_site, hospital_site)
        for batch, lab_site, hospital_site in rows
    ]


def _crow_km(a: Place, b: Place) -> float:
    """Great-circle distance in km."""
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def _place(site: Site) -> Place:
    return Place(site.lon, site.lat, site.land)


async def _solve(
    found: list[Candidate],
    *,
    data: RouteIn,
    started: datetime,
    clock: DayClock,
    provider: MatrixProvider,
    seconds: float,
    ferry: Ferry | None = None,
) -> Plan:
    """Run :func:`plan` in a worker thread; 503 when road distances are unavailable."""
    try:
        with timed(ROUTE_PLANNER):
            return await asyncio.to_thread(
                plan,
                found,
                data=data,
                start_min=clock.minutes(started),
                provider=provider,
                seconds=seconds,
                clock=clock,
                ferry=ferry,
            )
    except RoutingServiceError as exc:
        raise RoutingUnavailable(
            _("Road distances are unavailable: {error}"), error=str(exc)
        ) from exc


def plan(
    found: list[Candidate],
    *,
    data: RouteIn,
    start_min: float,
    provider: MatrixProvider,
    seconds: float,
    clock: DayClock | None = None,
    ferry: Ferry | None = None,
) -> Plan:
    """Plan one driver's tour over the candidates (pure and blocking: run it in a thread).

    ``start_min`` is the start on the planner's clock, minutes elapsed since local midnight
    (``clock``); each site's hours are placed on that clock from its own.
    """
    shipments = [
        Shipment(
            id=str(c.batch_id),
            pickup=_place(c.lab),
            delivery=_place(c.hospital),
            quantity=c.quantity,
            pickup_window=_window(c.lab, clock),
            delivery_window=_window(c.hospital, clock),
            pickup_service_min=SERVICE_MIN,
            delivery_service_min=SERVICE_MIN,
        )
        for c in found
    ]
    driver = Driver(
        id="driver",
        start=start_place(data),
        capacity=data.capacity_units,
        available_minutes=data.available_minutes,
        shift_start_min=start_min,
    )
    # Whole batches only: a batch split over several trips could not be reserved as one.
    return solve_routes(
        shipments,
        [driver],
        matrix_provider=provider,
        seconds=seconds,
        split_loads=False,
        ferry=ferry,
    )


def _window(site: Site, clock: DayClock | None) -> tuple[float, float]:
    """A site's hours on the planner's clock (as wall minutes when there is no clock)."""
    if clock is None:
        return (float(site.opens_min), float(site.closes_min))
    return (
        clock.wall(site.opens_min, site.time_zone),
        clock.wall(site.closes_min, site.time_zone),
    )


def _nothing_ready(data: RouteIn) -> Conflict:
    """The 409 a driver gets when no batch is waiting at all."""
    if data.area:
        return Conflict(
            _("No ready batch is waiting for a driver in {area}; try again later."),
            area=data.area,
        )
    return Conflict(_("No ready batch is waiting for a driver anywhere; try again later."))


def _no_route(found: list[Candidate], result: Plan, data: RouteIn, clock: DayClock) -> Conflict:
    """The 409 a driver gets when nothing fits, with the planner's reasons for each batch."""
    by_id = {str(c.batch_id): c for c in found}
    shown = list(result.unassigned.items())[:MAX_REASONS]
    batches = [
        Phrase(
            _("batch {code} ({lab} → {hospital}): {reason}"),
            {
                "code": by_id[sid].code,
                "lab": by_id[sid].lab.name,
                "hospital": by_id[sid].hospital.name,
                "reason": left_out_phrase(left, clock.midnight, clock.time_zone),
            },
        )
        for sid, left in shown
    ]
    return Conflict(
        _("No route fits {load} and {time} from your start: {reasons}."),
        load=Phrase(N_("{n} unit", "{n} units", "n"), {"n": data.capacity_units}),
        time=Phrase(N_("{n} minute", "{n} minutes", "n"), {"n": data.available_minutes}),
        reasons=joined(batches, more=len(result.unassigned) - len(shown)),
    )


async def _reserve(
    session: AsyncSession,
    *,
    user: User,
    data: RouteIn,
    result: Plan,
    found: list[Candidate],
    started: datetime,
    clock: DayClock,
) -> Route | None:
    """Lock the planned batches; create the route if all are still ready and free, else None.

    ``started`` is when the route was planned from (its creation time); ``clock`` the
    planner's clock its times are on.
    """
    planned = result.routes[0]
    by_id = {c.batch_id: c for c in found}
    ids = sorted({int(s.shipment_id) for s in planned.stops})
    if not await _still_free(session, ids, by_id):
        return None
    route = Route(
        driver_id=user.id,
        status=RouteStatus.ACTIVE,
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
    _add_stops(session, route, planned, by_id, clock)
    await session.flush()
    await route_event(
        session, route, user, "route.planned", batch_ids=ids, distance_km=route.distance_km
    )
    return route


async def _still_free(session: AsyncSession, ids: list[int], by_id: dict[int, Candidate]) -> bool:
    """Lock the batches ``ids``; tell whether each is still ready, whole and unreserved."""
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
        b.id
        for b in batches
        if b.state == BatchState.READY and b.made - b.picked_up == by_id[b.id].quantity
    }
    return taken is None and still == set(ids)


def _add_stops(
    session: AsyncSession,
    route: Route,
    planned: PlannedRoute,
    by_id: dict[int, Candidate],
    clock: DayClock,
) -> None:
    """Add the planned stops to a new route, each holding its batch open, with its ETA."""
    for stop in planned.stops:
        c = by_id[int(stop.shipment_id)]
        site = c.lab if stop.kind == "pickup" else c.hospital
        # The ETA is when service starts: a driver early at a lab waits for it to open.
        service_start = max(stop.arrival_min, clock.wall(site.opens_min, site.time_zone))
        session.add(
            RouteStop(
                route_id=route.id,
                seq=stop.seq,
                kind=stop.kind,
                batch_id=c.batch_id,
                open_batch_id=c.batch_id,
                site_id=site.id,
                quantity=stop.quantity,
                # Midnight plus elapsed minutes, in UTC: true across a clock change.
                eta=clock.at(service_start),
            )
        )
