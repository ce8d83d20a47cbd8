"""Who may see or change what: roles, areas, site membership, and who holds work for a site.

This layer reads models only and imports no service, so that every service can ask it
without import circles (SPEC section 2, "Invariants", for the rules themselves).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import User
from hub.batches.models import Batch
from hub.db import column_rows
from hub.driver_routes.models import Route, RouteStop
from hub.errors import Forbidden
from hub.geo.areas import Area, AreaCodes, parse_area
from hub.i18n import _, codes
from hub.needs.models import Need
from hub.rules.states import COMMITTED, BatchState, Role, RouteStatus, SiteStatus, SiteType
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
    """Tell whether a coordinator's (or admin's) area covers a place, or a whole région when
    only its code is known (a région-wide matching run, say)."""
    if _national(user):
        return True
    if user.role != Role.COORDINATOR or user.area is None:
        return False
    if region and not departement:
        return parse_area(user.area).covers(Area("region", region))
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


#: Built once (hub.db.by_id says why): every batch action and lab page asks it.
_MEMBER = select(Membership.user_id).where(
    Membership.user_id == bindparam("user_id"), Membership.site_id == bindparam("site_id")
)


#: The sites a user belongs to, built once: every batch listing asks it.
_MEMBER_SITES = select(Membership.site_id).where(Membership.user_id == bindparam("user_id"))


async def is_member(session: AsyncSession, user: User, site_id: int) -> bool:
    """Tell whether a user belongs to a site."""
    found = await session.scalar(_MEMBER, {"user_id": user.id, "site_id": site_id})
    return found is not None


def may_act_for(user: User, *, member: bool) -> bool:
    """Whether ``user`` may act for a site it is (``member``) or is not a member of: members
    may, and so may admins, everywhere."""
    return member or user.role == Role.ADMIN


async def require_member(session: AsyncSession, user: User, site: Site) -> None:
    """Raise 403 unless the user is a member of the site (admins pass)."""
    if may_act_for(user, member=False) or await is_member(session, user, site.id):
        return
    raise not_a_member(site)


def not_a_member(site: Site) -> Forbidden:
    """The 403 for a user who is not a member of ``site``."""
    return Forbidden(
        _("You are not a member of {type} {id} ({name})."),
        type=SiteType(site.type),
        id=site.id,
        name=site.name,
    )


#: Why a site that is not verified may not take part, by its status.
NOT_VERIFIED = {
    SiteStatus.PENDING: _(
        "{name} is awaiting verification by a coordinator: it cannot take work or see other "
        "sites' contacts yet."
    ),
    SiteStatus.SUSPENDED: _(
        "{name} is suspended by a coordinator: it cannot take work or see other sites' "
        "contacts; ask the coordinators of its area why."
    ),
}


def require_verified(site: Site) -> None:
    """Raise 403 unless the site is verified: pending and suspended sites only prepare."""
    if site.status != SiteStatus.VERIFIED:
        raise Forbidden(NOT_VERIFIED[SiteStatus(site.status)], name=site.name)


async def works_for_site(session: AsyncSession, user: User, site: Site) -> bool:
    """Tell whether one of the user's verified labs holds a committed batch for this hospital.

    Only that way round: a lab needs the hospital's contact to deliver, while a lab's
    contact is not the hospital's to have (fake requests fished for makers in 2020).
    """
    if site.type != SiteType.HOSPITAL:
        return False
    mine = (
        select(Membership.site_id)
        .join(Site, Site.id == Membership.site_id)
        .where(Membership.user_id == user.id, Site.status == SiteStatus.VERIFIED)
    )
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
    """Tell whether the user is a driver with an active route whose stop at the site still
    holds a batch (a stop done, given back or closed by a receipt no longer counts)."""
    if user.role != Role.DRIVER:
        return False
    found = await session.scalar(
        select(RouteStop.id)
        .join(Route, Route.id == RouteStop.route_id)
        .where(
            Route.driver_id == user.id,
            Route.status == RouteStatus.ACTIVE,
            RouteStop.site_id == site.id,
            RouteStop.open_batch_id.is_not(None),
        )
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class SiteView:
    """What a viewer may see of a site beyond its name and kind (``site_view``)."""

    contact: bool
    exact_place: bool

    @classmethod
    def everything(cls) -> "SiteView":
        """For the site's own members and the coordinators of its area."""
        return cls(contact=True, exact_place=True)


#: Sites whose place is a person's home: only those who work with them see where exactly.
HOME_KINDS = frozenset({"home"})
#: How coarse a home's place is for everyone else, in decimal degrees (about 1 km), as coarse
#: as the public map's points.
COARSE_DEGREES = 0.01


def coarse(degrees: float) -> float:
    """A coordinate rounded to ``COARSE_DEGREES`` (about a kilometre), for a home's place."""
    return round(round(degrees / COARSE_DEGREES) * COARSE_DEGREES, 6)


async def _staffs_a_client(session: AsyncSession, user: User, lab: Site) -> bool:
    """Whether the user staffs a hospital the lab holds committed work for."""
    mine = select(Membership.site_id).where(Membership.user_id == user.id)
    query = (
        select(Batch.id)
        .join(Need, Need.id == Batch.need_id)
        .where(Batch.lab_id == lab.id, Need.hospital_id.in_(mine), Batch.state.in_(COMMITTED))
    )
    return (await session.scalar(query.limit(1))) is not None


def area_view(viewer: User | None, site: Site) -> SiteView:
    """The part of :func:`site_view` that needs no query: what the site's area grants.

    Coordinators of the site's area and admins see everything; anyone else sees the exact
    place of any site but a home, and no contact. Exports (coordinators only) decide with it.
    """
    covered = viewer is not None and covers(viewer, site.region, site.departement)
    return SiteView(contact=covered, exact_place=covered or site.kind not in HOME_KINDS)


async def site_view(session: AsyncSession, viewer: User | None, site: Site) -> SiteView:
    """The one rule for a site's contact and place, on every channel (SPEC section 2).

    Contacts: coordinators of its area, its members, the verified labs that hold committed
    work for it (a hospital) and the drivers with a stop there. The exact place and address:
    everyone, except for a maker at home, whose place only those same people and the staff of
    the hospitals it makes for see; everyone else gets it to about a kilometre.
    """
    by_area = area_view(viewer, site)
    if by_area.contact:
        return by_area
    contact = await can_see_contact(session, viewer, site)
    exact = by_area.exact_place or contact
    if not exact and viewer is not None:
        exact = await _staffs_a_client(session, viewer, site)
    return SiteView(contact=contact, exact_place=exact)


async def can_see_contact(session: AsyncSession, user: User | None, site: Site) -> bool:
    """Contacts are for coordinators of the area, members, and labs or drivers working for it."""
    if user is None:
        return False
    if covers(user, site.region, site.departement) or await is_member(session, user, site.id):
        return True
    return await works_for_site(session, user, site) or await drives_to_site(session, user, site)


async def batch_parties(
    session: AsyncSession, viewer: User, batches: Sequence[tuple[int, int, int]]
) -> set[int]:
    """Ids of the batches ``viewer`` is a party to, of ``batches`` given as (id, lab id, need
    id): members of its lab, staff of its need's hospital, coordinators of the need's area,
    drivers holding it on an active route.

    Only parties see a batch's tracking code and reject reason: the code identifies a box, and
    a reason may name a ward's trouble. At most three queries, whatever the number of batches;
    the needs are read only for the batches that membership and routes leave undecided (a
    maker listing its own lab's batches reads none).
    """
    if not batches:
        return set()
    mine = set((await column_rows(session, _MEMBER_SITES, {"user_id": viewer.id})).scalars())
    driving: set[int] = set()
    if viewer.role == Role.DRIVER:
        driving = set(
            await session.scalars(
                select(RouteStop.open_batch_id)
                .join(Route, Route.id == RouteStop.route_id)
                .where(Route.driver_id == viewer.id, RouteStop.open_batch_id.is_not(None))
            )
        )
    parties = {id_ for id_, lab_id, _ in batches if lab_id in mine or id_ in driving}
    undecided = [(id_, need_id) for id_, _, need_id in batches if id_ not in parties]
    if not undecided:
        return parties
    query = select(Need.id, Need.hospital_id, Need.region, Need.departement).where(
        Need.id.in_({need_id for _, need_id in undecided})
    )
    needs = {
        need_id: (hospital_id, region, departement)
        for need_id, hospital_id, region, departement in await column_rows(session, query)
    }
    for id_, need_id in undecided:
        hospital_id, region, departement = needs[need_id]
        if hospital_id in mine or covers(viewer, region, departement):
            parties.add(id_)
    return parties


def can_see_batch(viewer: User, batch: Batch, need: Need) -> bool:
    """Tell whether ``viewer`` may see this batch at all: a draft only where it coordinates."""
    return batch.state != BatchState.DRAFT or covers(viewer, need.region, need.departement)
