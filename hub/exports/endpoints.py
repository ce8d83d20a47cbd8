"""Exports for coordinators: sheets of their area as CSV, XLSX or GeoJSON; calendars of stops."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from hub.area_filter import coordinator_area
from hub.deps import CurrentUser, ReadSessionDep
from hub.exports import calendars, service, writers
from hub.exports.columns import Kind
from hub.i18n import language

router = APIRouter(tags=["exports"])
Fmt = Literal["csv", "xlsx", "geojson"]


def _file(body: bytes, media: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/exports/{what}.{fmt}", response_class=Response)
async def export(
    what: Kind,
    fmt: Fmt,
    user: CurrentUser,
    session: ReadSessionDep,
    area: str | None = None,
    dialect: Annotated[
        writers.Dialect | None,
        Query(description="CSV only: excel-fr (';', BOM), excel (',', BOM) or plain (RFC 4180)."),
    ] = None,
    hxl: Annotated[bool, Query(description="Add an HXL hashtag row under the headings.")] = False,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """Hospitals, labs, needs, batches or "who does what where" (3w) of your area (coordinators).

    CSV defaults to the reader's Excel: ``excel-fr`` for French readers, ``excel`` otherwise.
    """
    lang = language(accept_language)
    scope = coordinator_area(user, area)
    sheet = await service.export_sheet(session, what, scope, viewer=user, lang=lang)
    body = writers.render_sheet(sheet, fmt, lang=lang, dialect=dialect, hxl=hxl)
    place = str(scope).replace(":", "-")
    return _file(body, writers.MEDIA[fmt], f"{what}-{place}-{date.today().isoformat()}.{fmt}")


@router.get("/routes/{route_id}/calendar.ics", response_class=Response, tags=["routes"])
async def route_calendar(
    route_id: int,
    user: CurrentUser,
    session: ReadSessionDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """Your route as an iCalendar file: one event per stop, with its place, address and contact."""
    body = await calendars.route_calendar(
        session, user=user, route_id=route_id, lang=language(accept_language)
    )
    return _file(body, calendars.MEDIA, f"route-{route_id}.ics")


@router.get("/labs/{lab_id}/pickups.ics", response_class=Response, tags=["labs"])
async def lab_pickups(
    lab_id: int,
    user: CurrentUser,
    session: ReadSessionDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """The pickups drivers plan at your lab, as an iCalendar file (members, coordinators)."""
    body = await calendars.lab_pickups(
        session, user=user, lab_id=lab_id, lang=language(accept_language)
    )
    return _file(body, calendars.MEDIA, f"pickups-lab-{lab_id}.ics")
