"""Matching runs (coordinators)."""

from fastapi import APIRouter, Request, status

from hub.deps import CurrentUser, ReadSessionDep, SettingsDep, get_db
from hub.matching_runs import service
from hub.matching_runs.schemas import RunIn, RunOut, RunRecord
from hub.timeutil import today

router = APIRouter(prefix="/matching/runs", tags=["matching"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RunOut)
async def create_run(
    body: RunIn, user: CurrentUser, request: Request, settings: SettingsDep
) -> RunOut:
    """Run the matcher for an area and store its proposals as batches."""
    return await service.run_matching(
        get_db(request),
        user=user,
        params=body,
        today=today(),
        sea_crossing_km=settings.crossing_km,
    )


@router.get("/{run_id}", response_model=RunRecord)
async def get_run(run_id: int, user: CurrentUser, session: ReadSessionDep) -> RunRecord:
    """Return a stored run's parameters and results (coordinators of the run's area)."""
    return RunRecord.model_validate(await service.get_run(session, user=user, run_id=run_id))
