"""Hospitals and labs: the same endpoints for both site types."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from hub.access import can_see_contact
from hub.area_filter import parse_area_param
from hub.deps import CurrentUser, ReadSessionDep, SessionDep
from hub.rules.states import SiteType
from hub.sites import service
from hub.sites.schemas import HospitalIn, LabIn, MemberIn, SiteList, SiteOut

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


def _router(type: SiteType, body_model: type[HospitalIn] | type[LabIn]) -> APIRouter:
    plural = f"{type}s"
    router = APIRouter(prefix=f"/{plural}", tags=[plural])

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=SiteOut)
    async def create(body: body_model, user: CurrentUser, session: SessionDep) -> SiteOut:  # type: ignore[valid-type]
        """Create a site (pending until a coordinator verifies it); you become a member."""
        site = await service.create_site(session, user=user, type=type, data=body)
        return service.site_out(site, with_contact=True)

    @router.get("", response_model=SiteList)
    async def list_(
        session: ReadSessionDep,
        user: CurrentUser,
        area: str | None = None,
        status: str | None = Query(None, pattern="^(pending|verified)$"),
        mine: bool = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> SiteList:
        """List sites, optionally in an area, by status, or only yours."""
        rows, total = await service.list_sites(
            session,
            type=type,
            area=parse_area_param(area),
            status=status,
            mine_of=user if mine else None,
            limit=limit,
            offset=offset,
        )
        items = [
            service.site_out(s, with_contact=await can_see_contact(session, user, s)) for s in rows
        ]
        return SiteList(items=items, total=total, limit=limit, offset=offset)

    @router.get("/{site_id}", response_model=SiteOut)
    async def get(site_id: int, session: ReadSessionDep, user: CurrentUser) -> SiteOut:
        """Return one site; contacts only for those who may see them."""
        site = await service.get_site(session, site_id, type)
        allowed = await can_see_contact(session, user, site)
        return service.site_out(site, with_contact=allowed)

    @router.post("/{site_id}/verify", response_model=SiteOut)
    async def verify(site_id: int, user: CurrentUser, session: SessionDep) -> SiteOut:
        """Verify a site (coordinators of its area)."""
        site = await service.verify_site(session, user=user, site_id=site_id, type=type)
        return service.site_out(site, with_contact=True)

    @router.post("/{site_id}/members", status_code=status.HTTP_201_CREATED)
    async def add_member(
        site_id: int, body: MemberIn, user: CurrentUser, session: SessionDep
    ) -> dict[str, int]:
        """Add an existing account to this site."""
        site = await service.get_site(session, site_id, type)
        member = await service.add_member(session, user=user, site=site, email=body.email)
        return {"user_id": member.id, "site_id": site.id}

    return router


hospitals = _router(SiteType.HOSPITAL, HospitalIn)
labs = _router(SiteType.LAB, LabIn)
