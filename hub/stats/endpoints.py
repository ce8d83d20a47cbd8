"""Public aggregate totals."""

from fastapi import APIRouter
from pydantic import BaseModel

from hub.area_filter import parse_area_param
from hub.deps import ReadSessionDep
from hub.events.service import last_event_id
from hub.stats import service


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
    # One read transaction: the totals and the event id describe the same state.
    event_id = await last_event_id(session)
    totals = await service.totals(session, parsed)
    return StatsOut(area=str(parsed) if parsed else "FR", event_id=event_id, totals=totals)
