"""CSV and GeoJSON exports for coordinators."""

from fastapi import APIRouter
from fastapi.responses import Response

from hub.area_filter import coordinator_area
from hub.deps import CurrentUser, ReadSessionDep
from hub.exports import service
from hub.exports.service import Format, What

router = APIRouter(prefix="/exports", tags=["exports"])
MEDIA = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}


@router.get("/{what}.{fmt}")
async def export(
    what: What, fmt: Format, user: CurrentUser, session: ReadSessionDep, area: str | None = None
) -> Response:
    """Download needs, labs or batches of your area as CSV or GeoJSON."""
    rows = await service.export_rows(session, what, coordinator_area(user, area))
    return Response(
        service.render(rows, fmt),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{what}.{fmt}"'},
    )
