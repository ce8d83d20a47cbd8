"""CSV and GeoJSON exports for coordinators."""

from fastapi import APIRouter
from fastapi.responses import Response

from hub.area_filter import parse_area_param
from hub.auth.service import require_role
from hub.deps import CurrentUser, ReadSessionDep
from hub.errors import Forbidden
from hub.exports import service
from hub.exports.service import Format, What

router = APIRouter(prefix="/exports", tags=["exports"])
MEDIA = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}


@router.get("/{what}.{fmt}")
async def export(
    what: What, fmt: Format, user: CurrentUser, session: ReadSessionDep, area: str | None = None
) -> Response:
    """Download needs, labs or batches of your area as CSV or GeoJSON."""
    require_role(user, "coordinator")
    parsed = parse_area_param(area or user.area)
    if user.role == "coordinator" and user.area and str(parsed) != user.area:
        if parsed is None or not _inside(parsed.kind, parsed.code, user.area):
            raise Forbidden(f"Exports are limited to your area ({user.area}).")
    rows = await service.export_rows(session, what, parsed)
    return Response(
        service.render(rows, fmt),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{what}.{fmt}"'},
    )


def _inside(kind: str, code: str | None, coordinator_area: str) -> bool:
    """A département export is inside a coordinator's région when it belongs to it."""
    from hub.geo.areas import region_of_departement

    area_kind, _, area_code = coordinator_area.partition(":")
    return kind == "departement" and area_kind == "region" and (
        region_of_departement(code or "") == area_code
    )
