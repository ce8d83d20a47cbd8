"""A route as its driver sees it: stops with contacts and navigation links, and a GPX file."""

from __future__ import annotations

from urllib.parse import quote

import gpxpy.gpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import HOME_KINDS, coarse
from hub.batches.models import Batch
from hub.driver_routes.models import Route, RouteStop
from hub.driver_routes.schemas import RouteOut, StopOut
from hub.driver_routes.service.stops import CLOSED_BY_RECEIPT
from hub.i18n import C_, Lang, _, render
from hub.printable import printable
from hub.rules.states import RouteStatus
from hub.sites.models import Site
from hub.timeutil import zone
from hub.validation import minutes_to_hhmm


def geo_uri(lat: float, lon: float, name: str) -> str:
    """A ``geo:`` URI that Android and iOS navigation apps open, with a label."""
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({quote(name)})"


def directions_url(lat1: float, lon1: float, lat2: float, lon2: float) -> str:
    """OpenStreetMap car directions between two points (degrees)."""
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
    # What the trip needs is for the stops still to do, on an active route (the rule of
    # ``hub.access.drives_to_site``, which every channel follows).
    active = route.status == RouteStatus.ACTIVE
    stops = []
    prev = (route.start_lat, route.start_lon)
    for stop, batch, site in rows:
        out = _stop_out(stop, batch, site, prev, to_do=active and stop.open_batch_id is not None)
        stops.append(out)
        prev = (out.lat, out.lon)
    return RouteOut(
        id=route.id,
        driver_id=route.driver_id,
        status=RouteStatus(route.status),
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


def _stop_out(
    stop: RouteStop, batch: Batch, site: Site, prev: tuple[float, float], *, to_do: bool
) -> StopOut:
    """One stop; ``prev`` is where the driver comes from (lat, lon), for the directions.

    A stop still ``to_do`` has what the trip needs: the contact, the exact place and the
    batch's tracking code. Once done or given back the driver sees it as anyone does
    (``hub.access``): no contact, no code, a maker's home to about a kilometre.
    """
    exact = to_do or site.kind not in HOME_KINDS
    lat, lon = (site.lat, site.lon) if exact else (coarse(site.lat), coarse(site.lon))
    return StopOut(
        seq=stop.seq,
        kind="pickup" if stop.kind == "pickup" else "delivery",
        batch_id=batch.id,
        batch_code=batch.code if to_do else None,
        design=batch.design,
        site_id=site.id,
        site=site.name,
        address=site.address if exact else None,
        contact_name=site.contact_name if to_do else None,
        contact_phone=site.contact_phone if to_do else None,
        lat=lat,
        lon=lon,
        quantity=stop.quantity,
        eta=stop.eta.astimezone(zone(site.time_zone)),
        time_zone=site.time_zone,
        opens=minutes_to_hhmm(site.opens_min),
        closes=minutes_to_hhmm(site.closes_min),
        done_at=stop.done_at,
        done_quantity=stop.done_quantity,
        given_back=stop.done_at is None
        and stop.open_batch_id is None
        and stop.closed_reason is None,
        received_directly=stop.closed_reason == CLOSED_BY_RECEIPT,
        geo_uri=geo_uri(lat, lon, site.name),
        directions_url=directions_url(*prev, lat, lon),
    )


def gpx_of(route: RouteOut, lang: Lang) -> str:
    """The route as GPX 1.1, named in ``lang``: a waypoint per stop, a route from start and back."""
    # Every text goes through printable(): a control character stored in a name or an address
    # (pasted from another program) would make the file invalid XML.
    name = render(_("Route {id}"), {"id": route.id}, lang)
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "the hub"
    gpx.name = name
    path = gpxpy.gpx.GPXRoute(name=name)
    start = render(C_("route point", "Start"), {}, lang)
    path.points.append(gpxpy.gpx.GPXRoutePoint(route.start_lat, route.start_lon, name=start))
    for s in route.stops:
        name, text = stop_words(s, lang)
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                s.lat, s.lon, name=name, description=text, time=s.eta, symbol="Flag"
            )
        )
        path.points.append(
            gpxpy.gpx.GPXRoutePoint(s.lat, s.lon, name=name, description=text, time=s.eta)
        )
    end = render(C_("route point", "End"), {}, lang)
    path.points.append(gpxpy.gpx.GPXRoutePoint(route.start_lat, route.start_lon, name=end))
    gpx.routes.append(path)
    return gpx.to_xml(version="1.1")


def stop_words(stop: StopOut, lang: Lang) -> tuple[str, str]:
    """A stop's GPX name ("2. Delivery: CHU") and description, in ``lang``."""
    pickup = _("{seq}. Pickup: {site}")
    delivery = _("{seq}. Delivery: {site}")
    name = render(
        pickup if stop.kind == "pickup" else delivery, {"seq": stop.seq, "site": stop.site}, lang
    )
    # A stop already done or given back has no code, and a home's no address (_stop_out).
    text = render(
        _("{quantity} × {design}"), {"quantity": stop.quantity, "design": stop.design}, lang
    )
    if stop.batch_code:
        text = render(
            _("{details}, batch {code}"), {"details": text, "code": stop.batch_code}, lang
        )
    if stop.address:
        text = render(_("{details}; {address}"), {"details": text, "address": stop.address}, lang)
    if stop.contact_phone:
        contact = f"{stop.contact_name or ''} {stop.contact_phone}".strip()
        text = render(
            _("{details}; contact: {contact}"), {"details": text, "contact": contact}, lang
        )
    return printable(name, newlines=False), printable(text)
