"""Follow a route stop by stop: a stop done with the quantity carried, or the route given back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import User
from hub.batches.models import Batch
from hub.batches.records import lock_batch
from hub.batches.service import carry, receipt
from hub.db import utcnow
from hub.driver_routes.models import Route, RouteStop
from hub.driver_routes.service.common import own_route, route_event, route_stops
from hub.errors import Conflict, Invalid, NotFound
from hub.i18n import N_, _, codes
from hub.needs.models import Need
from hub.rules.states import BatchState, RouteStatus

#: ``RouteStop.closed_reason`` of a stop closed because the hospital confirmed receipt.
CLOSED_BY_RECEIPT = "received"


async def stop_done(
    session: AsyncSession, *, user: User, route_id: int, seq: int, quantity: int
) -> Route:
    """Mark a stop done with the quantity carried; moves the batch's picked_up or delivered.

    A pickup of 0 frees the batch (its delivery is done with it); a delivery hands over at
    least one unit (422), after its pickup (409). 404 for an unknown stop, 409 for a stop
    already done or given back, or a route no longer active.
    """
    # Lock order: route, then need, then batch (the batch service's order).
    route = await own_route(session, user, route_id, lock=True)
    if route.status != RouteStatus.ACTIVE:
        raise Conflict(
            _("Route {id} is {status}; its stops can no longer change."),
            id=route.id,
            status=RouteStatus(route.status),
        )
    stops = await route_stops(session, route.id)
    stop = _open_stop(route, stops, seq)
    batch, need = await lock_batch(session, stop.batch_id)
    carried = _Carried(session, user, batch, need, extra={"route_id": route.id, "seq": seq})
    if stop.kind == "pickup":
        finished = await _pick_up(carried, stop, stops, quantity)
    else:
        quantity = await _deliver(carried, stop, stops, quantity)
        finished = [stop]
    at = utcnow()
    for s in finished:
        s.done_at, s.open_batch_id = at, None
        s.done_quantity = quantity if s is stop else 0
    # Done when every stop is done or was given back (neither holds its batch any more).
    if all(s.open_batch_id is None for s in stops):
        route.status, route.finished_at = RouteStatus.DONE, at
    await session.flush()
    return route


def _open_stop(route: Route, stops: list[RouteStop], seq: int) -> RouteStop:
    """The stop ``seq`` of the route, still open: 404 if there is none, 409 if done or freed."""
    stop = next((s for s in stops if s.seq == seq), None)
    if stop is None:
        raise NotFound(_("Route {id} has no stop {seq}."), id=route.id, seq=seq)
    if stop.closed_reason == CLOSED_BY_RECEIPT:
        raise Conflict(
            _(
                "Stop {seq} is closed: the hospital already confirmed receipt of this batch; "
                "nothing is left to carry for it."
            ),
            seq=seq,
        )
    if stop.done_at is not None:
        raise Conflict(
            N_(
                "Stop {seq} was already done with {units} unit.",
                "Stop {seq} was already done with {units} units.",
                "units",
            ),
            seq=seq,
            units=stop.done_quantity,
        )
    if stop.open_batch_id is None:
        raise Conflict(_("Stop {seq} was given back; another driver may have it now."), seq=seq)
    return stop


@dataclass(frozen=True)
class _Carried:
    """Who carries which locked batch (and its need) at a stop; ``extra`` goes in the events."""

    session: AsyncSession
    user: User
    batch: Batch
    need: Need
    extra: dict[str, int]


async def _pick_up(
    carried: _Carried, stop: RouteStop, stops: list[RouteStop], quantity: int
) -> list[RouteStop]:
    """Collect ``quantity``; return the stops this finishes (with nothing, the delivery too)."""
    if quantity == 0:
        # Nothing to collect: its delivery is moot, and the batch is free for another run.
        return [stop] + [s for s in stops if s.batch_id == stop.batch_id and s.done_at is None]
    await carry(
        carried.session,
        batch=carried.batch,
        need=carried.need,
        counter="picked_up",
        quantity=quantity,
        actor=carried.user,
        extra=carried.extra,
    )
    return [stop]


async def _deliver(
    carried: _Carried, stop: RouteStop, stops: list[RouteStop], quantity: int
) -> int:
    """Hand over ``quantity`` after the pickup; return the count the stop records."""
    batch = carried.batch
    pickup = next((s for s in stops if s.batch_id == stop.batch_id and s.kind == "pickup"), None)
    if pickup is not None and pickup.done_at is None:
        raise Conflict(
            _("Pick up batch {code} first (stop {seq})."), code=batch.code, seq=pickup.seq
        )
    if batch.state == BatchState.RECEIVED:
        # The hospital confirmed receipt before the driver tapped "done": its count stands.
        return batch.delivered
    if quantity == 0:
        raise Invalid(
            _(
                "A delivery hands over at least one unit; if {code} could not be delivered, "
                "call the coordinator and keep the stop open."
            ),
            code=batch.code,
        )
    await carry(
        carried.session,
        batch=batch,
        need=carried.need,
        counter="delivered",
        quantity=quantity,
        actor=carried.user,
        extra=carried.extra,
    )
    return quantity


async def release(session: AsyncSession, *, user: User, route_id: int) -> Route:
    """Give a route back: stops not done are freed for other drivers, except the deliveries of
    batches on board, which stay on the route (it is released once they are done).

    409 when the route is no longer active, or when only batches on board are left.
    """
    route = await own_route(session, user, route_id, lock=True)
    if route.status != RouteStatus.ACTIVE:
        raise Conflict(
            _("Route {id} is already {status}."), id=route.id, status=RouteStatus(route.status)
        )
    stops = await route_stops(session, route.id)
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
        batch_codes = await session.scalars(select(Batch.code).where(Batch.id.in_(on_board)))
        raise Conflict(
            _("Route {id} only has batches on board left ({codes}): deliver them."),
            id=route.id,
            codes=codes(sorted(batch_codes), style="standard"),
        )
    if not on_board:
        route.status, route.finished_at = RouteStatus.RELEASED, utcnow()
    await session.flush()
    await route_event(
        session,
        route,
        user,
        "route.released",
        batch_ids=sorted(set(freed)),
        on_board=sorted(on_board),
    )
    return route


async def receive(
    session: AsyncSession,
    *,
    user: User,
    batch_id: int,
    accepted: int,
    rejected: int,
    reason: str | None,
) -> Batch:
    """The hospital confirms receipt (``hub.batches.service.receipt``), and the stops a driver
    still holds for that batch are closed: the receipt wins, and the driver is told so.

    A pickup not yet made (the maker brought the batch by hand) closes with its delivery; a
    delivery of goods on board closes as done with the count received. The route ends when
    nothing is left open.
    """
    batch = await receipt(
        session, user=user, batch_id=batch_id, accepted=accepted, rejected=rejected, reason=reason
    )
    held = (
        await session.scalars(
            select(RouteStop).where(RouteStop.open_batch_id == batch.id).with_for_update()
        )
    ).all()
    at = utcnow()
    for stop in held:
        stop.open_batch_id, stop.closed_reason = None, CLOSED_BY_RECEIPT
        if stop.kind == "delivery" and batch.picked_up > 0:
            stop.done_at, stop.done_quantity = at, batch.delivered
    for route_id in sorted({s.route_id for s in held}):
        route = await session.get(Route, route_id)
        assert route is not None
        stops = await route_stops(session, route_id)
        if all(s.open_batch_id is None for s in stops):
            route.status, route.finished_at = RouteStatus.DONE, at
        await route_event(
            session,
            route,
            user,
            "route.stops_closed",
            batch_ids=[batch.id],
            seqs=[s.seq for s in held if s.route_id == route_id],
            reason=CLOSED_BY_RECEIPT,
        )
    await session.flush()
    return batch
