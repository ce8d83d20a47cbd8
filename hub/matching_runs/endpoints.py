"""Matching runs (coordinators)."""

from fastapi import APIRouter, Request, status

from hub.access import require_role
from hub.deps import CurrentUser, ReadSessionDep, get_db
from hub.errors import NotFound
from hub.i18n import _
from hub.matching_runs import service
from hub.matching_runs.schemas import RunIn, RunOut
from hub.rules.states import Role
from hub.timeutil import today

router = APIRouter(prefix="/matching/runs", tags=["matching"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RunOut)
async def create_run(body: RunIn, user: CurrentUser, request: Request) -> RunOut:
    """Run the matcher for an area and store its proposals as batches."""
    return await service.run_matching(get_db(request), user=user, params=body, today=today())


@router.get("/{run_id}")
async def get_run(run_id: int, user: CurrentUser, session: ReadSessionDep) -> dict[str, object]:
    """Return a stored run's parameters and results (coordinators)."""
    require_role(user, Role.COORDINATOR)
    run = await service.get_run(session, run_id)
    if run is None:
        raise NotFound(
            _("There is no matching run with id {id}."),
            id=run_id,
        )
    return {c.name: getattr(run, c.name) for c in run.__table__.columns}
