"""Hospitals and labs: the same endpoints for both site types."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from hub.access import SiteView, site_view
from hub.area_filter import parse_area_param
from hub.batches.cascades import suspend_site
from hub.deps import CurrentUser, ReadSessionDep, SessionDep, SettingsDep
from hub.i18n import language
from hub.limits.limiter import Action, limit
from hub.rules.states import SiteStatus, SiteType
from hub.sites import service
from hub.sites.review import PendingSite, pending_sites
from hub.sites.schemas import (
    HospitalIn,
    InvitationAnswer,
    InvitedOut,
    LabIn,
    MemberIn,
    SiteList,
    SiteOut,
    SitePatch,
    SuspendIn,
    SuspendOut,
)

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


async def _limit_invitations(request: Request, user: CurrentUser) -> None:
    """Count an invitation (it mails its address) against the inviter's hourly limit."""
    await limit(request, Action.INVITE, account=f"user:{user.id}")


def _router(type: SiteType, body_model: type[HospitalIn] | type[LabIn]) -> APIRouter:
    plural = f"{type}s"
    router = APIRouter(prefix=f"/{plural}", tags=[plural])

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=SiteOut)
    async def create(body: body_model, user: CurrentUser, session: SessionDep) -> SiteOut:  # type: ignore[valid-type]
        """Create a site (pending until a coordinator verifies it); you become a member."""
        site = await service.create_site(session, user=user, type=type, data=body)
        return service.site_out(site, SiteView.everything())

    @router.get("", response_model=SiteList)
    async def list_(
        session: ReadSessionDep,
        user: CurrentUser,
        area: str | None = None,
        status: SiteStatus | None = None,
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
        items = [service.site_out(s, await site_view(session, user, s)) for s in rows]
        return SiteList(items=items, total=total, limit=limit, offset=offset)

    @router.get("/{site_id}", response_model=SiteOut)
    async def get(site_id: int, session: ReadSessionDep, user: CurrentUser) -> SiteOut:
        """Return one site; contacts only for those who may see them."""
        site = await service.get_site(session, site_id, type)
        return service.site_out(site, await site_view(session, user, site))

    @router.patch("/{site_id}", response_model=SiteOut)
    async def correct(
        site_id: int, body: SitePatch, user: CurrentUser, session: SessionDep
    ) -> SiteOut:
        """Correct a site: its members while it is pending, coordinators of its area at any
        time. Only the fields given change; each correction is an event."""
        site = await service.correct_site(session, user=user, site_id=site_id, type=type, data=body)
        return service.site_out(site, SiteView.everything())

    @router.post("/{site_id}/verify", response_model=SiteOut)
    async def verify(site_id: int, user: CurrentUser, session: SessionDep) -> SiteOut:
        """Verify a site (coordinators of its area)."""
        site = await service.verify_site(session, user=user, site_id=site_id, type=type)
        return service.site_out(site, SiteView.everything())

    @router.post("/{site_id}/suspend", response_model=SuspendOut)
    async def suspend(
        site_id: int, body: SuspendIn, user: CurrentUser, session: SessionDep
    ) -> SuspendOut:
        """Suspend a site (coordinators of its area): its work at the labs goes back to the
        pool; verifying it again lifts the suspension."""
        site, cancelled = await suspend_site(
            session, user=user, site_id=site_id, type=type, reason=body.reason
        )
        return SuspendOut(
            site=service.site_out(site, SiteView.everything()), cancelled_batch_ids=cancelled
        )

    @router.post(
        "/{site_id}/members",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=InvitedOut,
        dependencies=[Depends(_limit_invitations)],
        responses={429: {"description": "Too many invitations; Retry-After says when to retry."}},
    )
    async def invite(
        site_id: int,
        body: MemberIn,
        request: Request,
        user: CurrentUser,
        session: SessionDep,
        settings: SettingsDep,
    ) -> InvitedOut:
        """Invite someone by e-mail (members and coordinators of the area): the link is
        mailed to them (and given to you), and they join once they accept through it. The
        answer never tells whether the e-mail has an account."""
        site = await service.get_site(session, site_id, type)
        invitation, link = await service.invite(
            session,
            user=user,
            site=site,
            email=body.email,
            lang=language(request.headers.get("accept-language")),
            base_url=settings.base_url,
        )
        return InvitedOut(email=invitation.email, site_id=site.id, link=link)

    return router


hospitals = _router(SiteType.HOSPITAL, HospitalIn)
labs = _router(SiteType.LAB, LabIn)


invitations = APIRouter(prefix="/invitations", tags=["invitations"])


@invitations.post("/{invitation_id}/accept", response_model=SiteOut)
async def accept_invitation(
    invitation_id: int, body: InvitationAnswer, user: CurrentUser, session: SessionDep
) -> SiteOut:
    """Join the site of the invitation whose link you have (its id and token)."""
    site = await service.answer_invitation(
        session, user=user, invitation_id=invitation_id, token=body.token, accept=True
    )
    return service.site_out(site, SiteView.everything())


@invitations.post("/{invitation_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
async def decline_invitation(
    invitation_id: int, body: InvitationAnswer, user: CurrentUser, session: SessionDep
) -> None:
    """Turn down the invitation whose link you have: the link stops working."""
    await service.answer_invitation(
        session, user=user, invitation_id=invitation_id, token=body.token, accept=False
    )


review = APIRouter(prefix="/sites", tags=["sites"])


@review.get("/pending", response_model=list[PendingSite])
async def pending(
    user: CurrentUser, session: ReadSessionDep, area: str | None = None
) -> list[PendingSite]:
    """Sites waiting for verification in your area, oldest first, with who created them and
    their contact (coordinators)."""
    return await pending_sites(session, user=user, area=area)
