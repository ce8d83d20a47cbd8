"""Public aggregate totals."""

from fastapi import APIRouter
from pydantic import BaseModel

from hub.area_filter import parse_area_param
from hub.deps import ReadSessionDep
from hub.events.service import snapshot_head, totals_as_of, totals_overhang
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
    # The head first (before the session's snapshot), then one read transaction: the totals
    # minus what events past the head added describe exactly the state as of the head.
    event_id = await snapshot_head(session)
    totals = totals_as_of(
        await service.totals(session, parsed), await totals_overhang(session, parsed, event_id)
    )
    return StatsOut(area=str(parsed) if parsed else "FR", event_id=event_id, totals=totals)
