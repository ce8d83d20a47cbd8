"""Calendars (iCalendar, RFC 5545, with the ``icalendar`` library): a driver's route, and the
pickups drivers plan at a lab. One event per stop: when (the planned time, for the service
minutes of the planner), where (``GEO``, ``LOCATION``), what, and whom to call (``CONTACT``).

Contacts follow the route's own rule (``route_out``: the stop's contact while the route is
active); a lab's calendar names the driver coming. Texts go through ``printable``.
"""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import covers, is_member
from hub.auth.models import User
from hub.batches.models import Batch
from hub.driver_routes.models import Route, RouteStop
from hub.driver_routes.service import common, rendering
from hub.driver_routes.service.planning import SERVICE_MIN
from hub.errors import Forbidden
from hub.i18n import Lang, _, render
from hub.printable import printable
from hub.rules.states import RouteStatus, SiteType
from hub.sites.service import get_site

MEDIA = "text/calendar; charset=utf-8"
PRODID = "-//the hub//emergency production//EN"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", printable(name, newlines=False))
    return calendar


def _event(
    *,
    uid: str,
    start: datetime,
    summary: str,
    place: tuple[float, float],
    address: str | None,
    description: str,
    contact: str | None,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", start.astimezone(UTC) + timedelta(minutes=SERVICE_MIN))
    event.add("summary", printable(summary, newlines=False))
    event.add("geo", place)
    if address:  # none for a maker's home once the stop is done (rendering._stop_out)
        event.add("location", printable(address))
    event.add("description", printable(description))
    if contact:
        event.add("contact", printable(contact, newlines=False))
    return event


async def route_calendar(session: AsyncSession, *, user: User, route_id: int, lang: Lang) -> bytes:
    """A driver's own route as an ``.ics`` file (403 for another driver's route)."""
    route = await common.get_route(session, user=user, route_id=route_id)
    out = await rendering.route_out(session, route)
    calendar = _calendar(render(_("Route {id}"), {"id": route.id}, lang))
    for stop in out.stops:
        name, text = rendering.stop_words(stop, lang)
        contact = " ".join(x for x in (stop.contact_name, stop.contact_phone) if x) or None
        calendar.add_component(
            _event(
                uid=f"route-{route.id}-stop-{stop.seq}@hub",
                start=stop.eta,
                summary=name,
                place=(stop.lat, stop.lon),
                address=stop.address,
                description=text,
                contact=contact,
            )
        )
    return bytes(calendar.to_ical())


async def lab_pickups(session: AsyncSession, *, user: User, lab_id: int, lang: Lang) -> bytes:
    """The pickups still to come at a lab, on active routes, as an ``.ics`` file.

    For the lab's members and the coordinators of its area (403 otherwise).
    """
    lab = await get_site(session, lab_id, SiteType.LAB)
    if not (covers(user, lab.region, lab.departement) or await is_member(session, user, lab.id)):
        raise Forbidden(_("Only the lab's members and its coordinators see its pickups."))
    rows = await session.execute(
        select(RouteStop, Batch, User)
        .join(Route, Route.id == RouteStop.route_id)
        .join(Batch, Batch.id == RouteStop.batch_id)
        .join(User, User.id == Route.driver_id)
        .where(
            RouteStop.site_id == lab.id,
            RouteStop.kind == "pickup",
            RouteStop.done_at.is_(None),
            Route.status == RouteStatus.ACTIVE,
        )
        .order_by(RouteStop.eta)
    )
    calendar = _calendar(render(_("Pickups at {lab}"), {"lab": lab.name}, lang))
    for stop, batch, driver in rows.all():
        summary = render(
            _("Pickup of batch {code} by {driver}"),
            {"code": batch.code, "driver": driver.name},
            lang,
        )
        text = render(
            _("{quantity} × {design}, batch {code}"),
            {"quantity": stop.quantity, "design": batch.design, "code": batch.code},
            lang,
        )
        calendar.add_component(
            _event(
                uid=f"route-{stop.route_id}-stop-{stop.seq}@hub",
                start=stop.eta,
                summary=summary,
                place=(lab.lat, lab.lon),
                address=lab.address,
                description=text,
                contact=driver.name,
            )
        )
    return bytes(calendar.to_ical())
