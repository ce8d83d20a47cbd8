"""Claims and the batch life cycle."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse

from hub.access import can_see_batch
from hub.area_filter import parse_area_param
from hub.batches import service
from hub.batches.label import label_page
from hub.batches.records import get_batch
from hub.batches.schemas import (
    AdjustIn,
    BatchList,
    BatchOut,
    ClaimIn,
    CorrectIn,
    ProgressIn,
    ReadyIn,
    ReceiptIn,
)
from hub.deps import CurrentUser, ReadSessionDep, SessionDep
from hub.driver_routes.service.stops import receive
from hub.errors import NotFound
from hub.i18n import _
from hub.needs.service import get_need
from hub.rules.states import BatchState
from hub.timeutil import today

router = APIRouter(tags=["batches"])


@router.post(
    "/needs/{need_id}/claims", status_code=status.HTTP_201_CREATED, response_model=BatchOut
)
async def claim(need_id: int, body: ClaimIn, user: CurrentUser, session: SessionDep) -> BatchOut:
    """Claim part of a need for your lab; 409 when more than what remains."""
    batch = await service.claim(
        session, user=user, need_id=need_id, today=today(), **body.model_dump()
    )
    return BatchOut.model_validate(batch)


@router.post("/batches/{batch_id}/accept", response_model=BatchOut)
async def accept(batch_id: int, user: CurrentUser, session: SessionDep) -> BatchOut:
    """Accept a proposal from the matcher."""
    return BatchOut.model_validate(await service.accept(session, user=user, batch_id=batch_id))


@router.post("/batches/{batch_id}/decline", response_model=BatchOut)
async def decline(batch_id: int, user: CurrentUser, session: SessionDep) -> BatchOut:
    """Decline a proposal; its units go back to the pool."""
    return BatchOut.model_validate(await service.decline(session, user=user, batch_id=batch_id))


@router.post("/batches/{batch_id}/progress", response_model=BatchOut)
async def progress(
    batch_id: int, body: ProgressIn, user: CurrentUser, session: SessionDep
) -> BatchOut:
    """Report the absolute number of units made."""
    batch = await service.report_progress(session, user=user, batch_id=batch_id, made=body.made)
    return BatchOut.model_validate(batch)


@router.post("/batches/{batch_id}/ready", response_model=BatchOut)
async def ready(
    batch_id: int, user: CurrentUser, session: SessionDep, body: ReadyIn | None = None
) -> BatchOut:
    """Mark the batch boxed and ready for pickup; with fewer made than its quantity, say
    whether the rest is kept (a new claimed batch) or released to the need (422 otherwise)."""
    rest = body.rest if body else None
    return BatchOut.model_validate(
        await service.mark_ready(session, user=user, batch_id=batch_id, rest=rest)
    )


@router.post("/batches/{batch_id}/receipt", response_model=BatchOut)
async def receipt(
    batch_id: int, body: ReceiptIn, user: CurrentUser, session: SessionDep
) -> BatchOut:
    """Confirm receipt with accepted and rejected counts (a driver's stops for the batch
    close: the receipt wins)."""
    batch = await receive(session, user=user, batch_id=batch_id, **body.model_dump())
    return BatchOut.model_validate(batch)


@router.post("/batches/{batch_id}/cancel", response_model=BatchOut)
async def cancel(batch_id: int, user: CurrentUser, session: SessionDep) -> BatchOut:
    """Cancel a batch that has not left its lab."""
    return BatchOut.model_validate(await service.cancel(session, user=user, batch_id=batch_id))


@router.post("/batches/{batch_id}/adjust", response_model=BatchOut)
async def adjust(batch_id: int, body: AdjustIn, user: CurrentUser, session: SessionDep) -> BatchOut:
    """Change an assignment's quantity (coordinators)."""
    batch = await service.adjust(session, user=user, batch_id=batch_id, quantity=body.quantity)
    return BatchOut.model_validate(batch)


@router.post("/batches/{batch_id}/correct", response_model=BatchOut)
async def correct(
    batch_id: int, body: CorrectIn, user: CurrentUser, session: SessionDep
) -> BatchOut:
    """Correct a claimed batch's made count, down as well as up (coordinators of the area)."""
    batch = await service.correct_made(
        session, user=user, batch_id=batch_id, made=body.made, reason=body.reason
    )
    return BatchOut.model_validate(batch)


@router.get("/batches/{batch_id}", response_model=BatchOut)
async def get(batch_id: int, user: CurrentUser, session: ReadSessionDep) -> BatchOut:
    """Return one batch (its tracking code and reject reason only for its parties; a draft
    proposal only for the coordinators of its area)."""
    batch = await get_batch(session, batch_id)
    if not can_see_batch(user, batch, await get_need(session, batch.need_id)):
        raise NotFound(_("There is no batch with id {id}."), id=batch_id)
    [body] = await service.batches_out(session, user=user, batches=[service.batch_body(batch)])
    return BatchOut.model_validate(body)


@router.get("/batches/{batch_id}/label", response_class=HTMLResponse)
async def label(
    request: Request,
    batch_id: int,
    user: CurrentUser,
    session: ReadSessionDep,
    lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr",
) -> HTMLResponse:
    """A printable box label with the batch's tracking code (for the lab holding it)."""
    batch, lab, hospital = await service.label_parts(session, user=user, batch_id=batch_id)
    return label_page(request, batch, lab, hospital, lang)


@router.get("/batches", response_model=BatchList)
async def list_(
    user: CurrentUser,
    session: ReadSessionDep,
    lab_id: int | None = None,
    need_id: int | None = None,
    state: BatchState | None = None,
    area: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> BatchList:
    """List batches by lab, need, state or the area of their need (FR, region:, departement:)."""
    rows, total = await service.list_batches(
        session,
        lab_id=lab_id,
        need_id=need_id,
        state=state,
        limit=limit,
        offset=offset,
        area=parse_area_param(area),
        viewer=user,
    )
    items = await service.batches_out(session, user=user, batches=rows)
    return BatchList.model_validate(
        {"items": items, "total": total, "limit": limit, "offset": offset}
    )
