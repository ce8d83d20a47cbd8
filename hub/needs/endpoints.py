"""Posting, finding and cancelling needs."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from hub.area_filter import parse_area_param
from hub.batches.cascades import cancel_need
from hub.deps import CurrentUser, ReadSessionDep, SessionDep
from hub.errors import Invalid
from hub.i18n import _
from hub.limits.limiter import Action, limit
from hub.needs import service
from hub.needs.listing import hospital_ref, list_needs, need_fields, render_need
from hub.needs.schemas import NeedIn, NeedList, NeedOut
from hub.needs.service import get_need
from hub.offers.capacity import free_by
from hub.rules.states import NeedStatus, SiteType
from hub.sites.service import get_member_site, get_site
from hub.timeutil import today
from hub.validation import NEAR_PATTERN, Secret

router = APIRouter(prefix="/needs", tags=["needs"])


async def _limit_needs(request: Request, user: CurrentUser) -> None:
    """Count a posted need against the user's and the client address's limits."""
    await limit(request, Action.NEED, account=f"user:{user.id}")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=NeedOut,
    dependencies=[Depends(_limit_needs)],
    responses={429: {"description": "Too many needs posted; Retry-After says when to retry."}},
)
async def create(
    body: NeedIn,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    # One line kept as sent, like a secret: a control character in it is a 422, not a key.
    idempotency_key: Annotated[Secret | None, Header()] = None,
) -> NeedOut:
    """Post a need; an ``Idempotency-Key`` header makes retries create it once."""
    need, created, hospital = await service.create_need(
        session, user=user, data=body, idempotency_key=idempotency_key
    )
    if created:
        # It has no batches to sum yet, and its checks already read the hospital: the
        # answer needs no statement of its own.
        return NeedOut.model_validate(need_fields(need, hospital_ref(hospital)))
    response.headers["Idempotent-Replayed"] = "true"
    return await render_need(session, need, hospital)


def _parse_near(near: str | None) -> tuple[float, float] | None:
    if near is None:
        return None
    try:
        lat_text, lon_text = near.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError as exc:
        raise Invalid(
            _("near must be 'lat,lon', for example 45.19,5.72; got {near}."),
            near=repr(near),
        ) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid(
            _("near is out of range: latitude {lat}, longitude {lon}."),
            lat=lat,
            lon=lon,
        )
    return lat, lon


@router.get("", response_model=NeedList)
async def list_(
    user: CurrentUser,
    session: ReadSessionDep,
    status: NeedStatus | None = None,
    design: str | None = None,
    area: str | None = None,
    hospital_id: int | None = None,
    near: str | None = Query(None, description="lat,lon", pattern=NEAR_PATTERN),
    radius_km: Annotated[float | None, Query(gt=0, le=2000)] = None,
    open_only: Annotated[
        bool, Query(alias="open", description="Only needs with units left to claim.")
    ] = False,
    lab_id: Annotated[
        int | None,
        Query(gt=0, description="A lab of yours: each need says what it can make by its date."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> NeedList:
    """Find needs by status, design, area, hospital, or around a point (nearest first)."""
    lab = None
    if lab_id is not None:
        lab = await get_member_site(session, lab_id, SiteType.LAB, user)
    items, total = await list_needs(
        session,
        status=status,
        design=design,
        area=parse_area_param(area),
        hospital_id=hospital_id,
        near=_parse_near(near),
        radius_km=radius_km,
        limit=limit,
        offset=offset,
        open_only=open_only,
    )
    if lab is not None:
        day = today()
        for item in items:
            item["lab_can_make"] = await free_by(
                session, lab=lab, design=item["design"], due=item["needed_by"], today=day
            )
    return NeedList.model_validate(
        {"items": items, "total": total, "limit": limit, "offset": offset}
    )


@router.get("/{need_id}", response_model=NeedOut)
async def get(
    need_id: int,
    user: CurrentUser,
    session: ReadSessionDep,
    lab_id: Annotated[
        int | None,
        Query(gt=0, description="A lab of yours: what it can make by the need's date."),
    ] = None,
) -> NeedOut:
    """Return a need with its progress counters (and, with ``lab_id``, what that lab can
    still make by its date: a proposal is judged on it)."""
    need = await get_need(session, need_id)
    hospital = await get_site(session, need.hospital_id, SiteType.HOSPITAL)
    out = await render_need(session, need, hospital)
    if lab_id is not None:
        lab = await get_member_site(session, lab_id, SiteType.LAB, user)
        out.lab_can_make = await free_by(
            session, lab=lab, design=need.design, due=need.needed_by, today=today()
        )
    return out


@router.post("/{need_id}/cancel", response_model=NeedOut)
async def cancel(need_id: int, user: CurrentUser, session: SessionDep) -> NeedOut:
    """Cancel a need and its open batches."""
    need = await cancel_need(session, user=user, need_id=need_id)
    hospital = await get_site(session, need.hospital_id, SiteType.HOSPITAL)
    return await render_need(session, need, hospital)
