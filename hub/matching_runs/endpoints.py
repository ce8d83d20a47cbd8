"""Matching runs (coordinators)."""

from fastapi import APIRouter, Request, status

from hub.deps import CurrentUser, ReadSessionDep, SessionDep, SettingsDep, get_db
from hub.matching_runs import service
from hub.matching_runs.schemas import RunIn, RunOut, RunProposals, RunRecord
from hub.timeutil import today

router = APIRouter(prefix="/matching/runs", tags=["matching"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RunOut)
async def create_run(
    body: RunIn, user: CurrentUser, request: Request, settings: SettingsDep
) -> RunOut:
    """Run the matcher for an area and store its proposals as batches: drafts that only
    coordinators see until one sends them (``send: true`` sends them at once)."""
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


@router.get("/{run_id}/proposals", response_model=RunProposals)
async def get_proposals(run_id: int, user: CurrentUser, session: ReadSessionDep) -> RunProposals:
    """A run's proposals, drafts first, with their hospital and lab (coordinators of its area):
    adjust them with ``POST /batches/{id}/adjust``, cancel with ``POST /batches/{id}/cancel``."""
    return await service.proposals(session, user=user, run_id=run_id)


@router.post("/{run_id}/send", response_model=RunProposals)
async def send(run_id: int, user: CurrentUser, session: SessionDep) -> RunProposals:
    """Send the run's drafts to their labs, which may then accept or decline them."""
    return await service.send_run(session, user=user, run_id=run_id)
