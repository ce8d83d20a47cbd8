"""Public aggregate totals."""

from fastapi import APIRouter
from pydantic import BaseModel

from hub.area_filter import parse_area_param
from hub.deps import ReadSessionDep
from hub.stats.ledger import totals_at_head


class StatsOut(BaseModel):
    """Totals per design, as of an event id."""

    area: str
    event_id: int
    totals: dict[str, dict[str, int]]


router = APIRouter(tags=["statistics"])


@router.get("/stats", response_model=StatsOut)
async def stats(session: ReadSessionDep, area: str = "FR") -> StatsOut:
    """Return requested/claimed/made/ready/picked_up/delivered/accepted/rejected per design."""
    parsed = parse_area_param(area)
    event_id, totals = await totals_at_head(session, parsed)
    return StatsOut(area=str(parsed) if parsed else "FR", event_id=event_id, totals=totals)
