"""The coordinators' review queue: sites waiting for verification, with who created them.

A site's creator is its first member (the creator becomes a member, SPEC section 4): the
coordinator sees their name and e-mail next to the site's contact, to call before verifying.
"""

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import require_role, site_view
from hub.area_filter import area_condition, coordinator_area
from hub.auth.models import User
from hub.rules.states import Role, SiteStatus
from hub.sites.models import Membership, Site
from hub.sites.schemas import SiteOut
from hub.sites.service import site_out

#: At most this many sites in the queue: the oldest first, the rest after they are verified.
QUEUE_LIMIT = 200


class Creator(BaseModel):
    """Who created a site (its first member)."""

    id: int
    name: str
    email: str
    email_holder: bool = Field(
        description="False when an older account holds this address: this one was made "
        "without that account's password, so the address says nothing of who made it."
    )


class PendingSite(BaseModel):
    """A site waiting for verification, with its creator."""

    site: SiteOut
    created_by: Creator | None


async def pending_sites(
    session: AsyncSession, *, user: User, area: str | None
) -> list[PendingSite]:
    """Hospitals and labs waiting in the coordinator's area (or ``area`` within it), oldest
    first, each with its creator; 403 for anyone but coordinators and admins."""
    require_role(user, Role.COORDINATOR)
    where = coordinator_area(user, area)
    sites = list(
        (
            await session.scalars(
                select(Site)
                .where(
                    Site.status == SiteStatus.PENDING,
                    area_condition(where, Site.region, Site.departement),
                )
                .order_by(Site.created_at, Site.id)
                .limit(QUEUE_LIMIT)
            )
        ).all()
    )
    first: dict[int, User] = {}
    if sites:
        rows = await session.execute(
            select(Membership.site_id, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.site_id.in_([s.id for s in sites]))
            .order_by(Membership.created_at, Membership.user_id)
        )
        for site_id, member in rows.all():
            first.setdefault(site_id, member)
    out = []
    for site in sites:
        who = first.get(site.id)
        creator = (
            Creator(id=who.id, name=who.name, email=who.email, email_holder=who.email_holder)
            if who
            else None
        )
        view = await site_view(session, user, site)
        out.append(PendingSite(site=site_out(site, view), created_by=creator))
    return out
