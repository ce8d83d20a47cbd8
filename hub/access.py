"""Who may see or change what: roles, areas, site membership, and who holds work for a site.

This layer reads models only and imports no service, so that every service can ask it
without import circles (SPEC section 2, "Invariants", for the rules themselves).
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import User
from hub.batches.models import Batch
from hub.driver_routes.models import Route, RouteStop
from hub.errors import Forbidden
from hub.geo.areas import Area, AreaCodes, parse_area
from hub.i18n import _, codes
from hub.needs.models import Need
from hub.rules.states import COMMITTED, Role, RouteStatus, SiteType
from hub.sites.models import Membership, Site


def require_role(user: User, *roles: Role) -> None:
    """Raise 403 unless the user has one of the roles (admins always pass)."""
    if user.role != Role.ADMIN and user.role not in roles:
        raise Forbidden(
            _("Only a {wanted} can do this; you are signed in as {role}."),
            wanted=codes(roles),
            role=Role(user.role),
        )


def _national(user: User) -> bool:
    return user.role == Role.ADMIN or (user.role == Role.COORDINATOR and user.area is None)


def covers(user: User, region: str | None, departement: str | None) -> bool:
    """Tell whether a coordinator's (or admin's) area covers a place."""
    if _national(user):
        return True
    if user.role != Role.COORDINATOR or user.area is None:
        return False
    place = AreaCodes(region=region, departement=departement) if region and departement else None
    return parse_area(user.area).contains(place)


def covers_area(user: User | None, area: Area) -> bool:
    """Tell whether a user coordinates all of ``area`` (sees names and contacts there).

    Admins and national coordinators cover all of France; a regional coordinator covers their
    région and its départements; a departmental coordinator their département only.
    """
    if user is None:
        return False
    if _national(user):
        return True
    if user.role != Role.COORDINATOR or user.area is None:
        return False
    return parse_area(user.area).covers(area)


def require_coordinator_of(user: User, region: str | None, departement: str | None) -> None:
    """Raise 403 unless the user coordinates the area holding this place."""
    require_role(user, Role.COORDINATOR)
    if covers(user, region, departement):
        return
    if departement:
        raise Forbidden(
            _("This is in département {code}, outside your area ({area})."),
            code=departement,
            area=user.area,
        )
    raise Forbidden(_("This is outside France, outside your area ({area})."), area=user.area)


async def is_member(session: AsyncSession, user: User, site_id: int) -> bool:
    """Tell whether a user belongs to a site."""
    found = await session.scalar(
        select(Membership.user_id).where(
            Membership.user_id == user.id, Membership.site_id == site_id
        )
    )
    return found is not None


async def require_member(session: AsyncSession, user: User, site: Site) -> None:
    """Raise 403 unless the user is a member of the site (admins pass)."""
    if user.role == Role.ADMIN or await is_member(session, user, site.id):
        return
    raise Forbidden(
        _("You are not a member of {type} {id} ({name})."),
        type=SiteType(site.type),
        id=site.id,
        name=site.name,
    )


async def works_for_site(session: AsyncSession, user: User, site: Site) -> bool:
    """Tell whether the user's lab holds a committed batch for this hospital.

    Only that way round: a lab needs the hospital's contact to deliver, while a lab's
    contact is not the hospital's to have (fake requests fished for makers in 2020).
    """
    if site.type != SiteType.HOSPITAL:
        return False
    mine = select(Membership.site_id).where(Membership.user_id == user.id)
    query = (
        select(Batch.id)
        .join(Need, Need.id == Batch.need_id)
        .where(
            Need.hospital_id == site.id,
            Batch.lab_id.in_(mine),
            Batch.state.in_(COMMITTED),
        )
    )
    return (await session.scalar(query.limit(1))) is not None


async def drives_to_site(session: AsyncSession, user: User, site: Site) -> bool:
    """Tell whether the user is a driver with an active route stopping at the site."""
    if user.role != Role.DRIVER:
        return False
    found = await session.scalar(
        select(RouteStop.id)
        .join(Route, Route.id == RouteStop.route_id)
        .where(
            Route.driver_id == user.id,
            Route.status == RouteStatus.ACTIVE,
            RouteStop.site_id == site.id,
        )
        .limit(1)
    )
    return found is not None


async def can_see_contact(session: AsyncSession, user: User | None, site: Site) -> bool:
    """Contacts are for coordinators of the area, members, and labs or drivers working for it."""
    if user is None:
        return False
    if covers(user, site.region, site.departement) or await is_member(session, user, site.id):
        return True
    return await works_for_site(session, user, site) or await drives_to_site(session, user, site)
