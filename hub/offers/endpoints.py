"""A lab's capacity offers."""

from typing import Annotated

from fastapi import APIRouter, Body

from hub.deps import CurrentUser, ReadSessionDep, SessionDep
from hub.offers import service
from hub.offers.schemas import OfferIn, OfferOut

router = APIRouter(prefix="/labs/{lab_id}/offers", tags=["labs"])


@router.put("", response_model=list[OfferOut])
async def replace(
    lab_id: int,
    user: CurrentUser,
    session: SessionDep,
    body: Annotated[list[OfferIn], Body(max_length=200)],
) -> list[OfferOut]:
    """Replace the lab's offers with this list (an empty list withdraws them all)."""
    rows = await service.replace_offers(session, user=user, lab_id=lab_id, offers=body)
    return [OfferOut.model_validate(r) for r in rows]


@router.get("", response_model=list[OfferOut])
async def list_(lab_id: int, user: CurrentUser, session: ReadSessionDep) -> list[OfferOut]:
    """Return the lab's offers."""
    return [OfferOut.model_validate(r) for r in await service.list_offers(session, lab_id=lab_id)]
