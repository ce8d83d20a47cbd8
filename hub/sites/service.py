"""Creating, verifying and reading sites, and who belongs to them."""

import secrets

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import (
    SiteView,
    coarse,
    covers,
    is_member,
    may_act_for,
    not_a_member,
    require_coordinator_of,
    require_member,
    require_role,
)
from hub.area_filter import area_condition
from hub.auth.models import User
from hub.auth.service import digest
from hub.db import by_id, utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.events import service as events
from hub.geo.areas import Area
from hub.geo.territory import Whereabouts, looks_swapped, where
from hub.i18n import Lang, _
from hub.notifications.service import enqueue
from hub.rules.states import Role, SiteStatus, SiteType
from hub.sites.models import Invitation, Membership, Site
from hub.sites.schemas import HospitalIn, LabIn, SiteOut, SitePatch
from hub.validation import hhmm_to_minutes, minutes_to_hhmm

# Who may create which kind of site, and who may join one.
CREATORS: dict[SiteType, tuple[Role, ...]] = {
    SiteType.HOSPITAL: (Role.HOSPITAL_STAFF, Role.COORDINATOR),
    SiteType.LAB: (Role.MAKER, Role.COORDINATOR),
}
MEMBERS: dict[SiteType, Role] = {SiteType.HOSPITAL: Role.HOSPITAL_STAFF, SiteType.LAB: Role.MAKER}


async def create_site(
    session: AsyncSession, *, user: User, type: SiteType, data: HospitalIn | LabIn
) -> Site:
    """Create a pending site at its location, with its area codes; the creator joins it."""
    require_role(user, *CREATORS[type])
    place = check_place(data.lon, data.lat, outside_france=data.outside_france)
    codes = place.codes
    site = Site(
        type=type,
        kind=data.kind,
        name=data.name.strip(),
        address=data.address.strip(),
        lat=data.lat,
        lon=data.lon,
        region=codes.region if codes else None,
        departement=codes.departement if codes else None,
        time_zone=place.time_zone,
        land=place.land,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        equipment=list(getattr(data, "equipment", [])),
        opens_min=hhmm_to_minutes(data.opens),
        closes_min=hhmm_to_minutes(data.closes),
        status=SiteStatus.PENDING,
        finess=data.finess,
        siret=data.siret,
    )
    session.add(site)
    await session.flush()
    session.add(Membership(user_id=user.id, site_id=site.id))
    await events.append(
        session,
        kind=f"{type}.created",
        entity=type,
        entity_id=site.id,
        actor_id=user.id,
        region=site.region,
        departement=site.departement,
        payload={"kind": site.kind, "lat": site.lat, "lon": site.lon},
    )
    return site


def check_place(lon: float, lat: float, *, outside_france: bool) -> Whereabouts:
    """Where a site's point is; 422 if it looks swapped, or is abroad without confirmation."""
    place = where(lon, lat)
    if place.in_france:
        return place
    if looks_swapped(lon, lat):
        raise Invalid(
            _(
                "Latitude {lat} and longitude {lon} are outside France, but swapped they fall "
                "in France: they look swapped. Enter the latitude first (about 41 to 51 in "
                "metropolitan France), then the longitude."
            ),
            lat=lat,
            lon=lon,
        )
    if not outside_france:
        raise Invalid(
            _(
                "Latitude {lat} and longitude {lon} are outside France. Check them, or confirm "
                "the place is abroad with outside_france set to true."
            ),
            lat=lat,
            lon=lon,
        )
    return place


async def get_site(
    session: AsyncSession, site_id: int, type: SiteType, *, lock: bool = False
) -> Site:
    """Return a site of the given type or raise 404."""
    site = await session.scalar(by_id(Site, lock=lock), {"id": site_id})
    if site is None or site.type != type:
        raise _no_site(site_id, type)
    return site


def _no_site(site_id: int, type: SiteType) -> NotFound:
    return NotFound(_("There is no {type} with id {id}."), type=SiteType(type), id=site_id)


#: A site and the given user's membership of it, in one statement: a batch action or a
#: posted need asks both, and each statement costs a request more than SQLite's work on it.
_SITE_AND_MEMBER = (
    select(Site, Membership.user_id)
    .outerjoin(
        Membership,
        and_(Membership.site_id == Site.id, Membership.user_id == bindparam("user_id")),
    )
    .where(Site.id == bindparam("id"))
)


async def get_site_of(
    session: AsyncSession, site_id: int, type: SiteType, user: User
) -> tuple[Site, bool]:
    """Return a site of the given type and whether ``user`` may act for it (a member, or an
    admin); raise 404 when there is no such site."""
    row = (await session.execute(_SITE_AND_MEMBER, {"id": site_id, "user_id": user.id})).first()
    if row is None or row[0].type != type:
        raise _no_site(site_id, type)
    site, member = row
    return site, may_act_for(user, member=member is not None)


async def get_member_site(session: AsyncSession, site_id: int, type: SiteType, user: User) -> Site:
    """Return a site of the given type that ``user`` is a member of (admins: any); 404 when
    there is no such site, 403 when the user is not a member."""
    site, member = await get_site_of(session, site_id, type, user)
    if not member:
        raise not_a_member(site)
    return site


async def verify_site(session: AsyncSession, *, user: User, site_id: int, type: SiteType) -> Site:
    """Mark a site verified; only a coordinator of its area may."""
    site = await get_site(session, site_id, type, lock=True)
    require_coordinator_of(user, site.region, site.departement)
    if site.status == SiteStatus.VERIFIED:
        return site
    site.status = SiteStatus.VERIFIED
    site.verified_by = user.id
    site.verified_at = utcnow()
    await events.append(
        session,
        kind=f"{type}.verified",
        entity=type,
        entity_id=site.id,
        actor_id=user.id,
        region=site.region,
        departement=site.departement,
    )
    return site


async def correct_site(
    session: AsyncSession, *, user: User, site_id: int, type: SiteType, data: SitePatch
) -> Site:
    """Correct a site: its members while it is pending, coordinators of its area at any time.

    A new point gets new area codes (a coordinator may only move a site within their area).
    Each correction is one ``{type}.corrected`` event listing the fields, old and new.
    """
    site = await get_site(session, site_id, type, lock=True)
    coordinator = user.role in (Role.COORDINATOR, Role.ADMIN)
    if coordinator:
        require_coordinator_of(user, site.region, site.departement)
    else:
        await require_member(session, user, site)
        if site.status != SiteStatus.PENDING:
            raise Forbidden(
                _("Only a coordinator can correct a site once it is {status}."),
                status=SiteStatus(site.status),
            )
    given = data.model_dump(exclude_unset=True)
    wanted: dict[str, object] = {}
    for key in ("name", "address", "contact_name", "contact_phone", "finess", "siret"):
        if key in given:
            value = given[key].strip() if isinstance(given[key], str) else given[key]
            if key in ("name", "address") and value is None:
                continue
            wanted[key] = value
    opens = hhmm_to_minutes(data.opens) if data.opens else site.opens_min
    closes = hhmm_to_minutes(data.closes) if data.closes else site.closes_min
    if opens >= closes:
        raise Invalid(
            _("opens ({opens}) must be before closes ({closes})"),
            opens=minutes_to_hhmm(opens),
            closes=minutes_to_hhmm(closes),
        )
    wanted["opens_min"], wanted["closes_min"] = opens, closes
    if data.lat is not None and data.lon is not None:
        # The same checks as a new site's point (swapped, abroad), and the clock and land
        # follow the point.
        place = check_place(data.lon, data.lat, outside_france=data.outside_france)
        region = place.codes.region if place.codes else None
        departement = place.codes.departement if place.codes else None
        if coordinator:
            require_coordinator_of(user, region, departement)
        wanted.update(
            lat=data.lat,
            lon=data.lon,
            region=region,
            departement=departement,
            time_zone=place.time_zone,
            land=place.land,
        )
    changes = {
        key: {"old": getattr(site, key), "new": value}
        for key, value in wanted.items()
        if getattr(site, key) != value
    }
    if not changes:
        return site
    for key, change in changes.items():
        setattr(site, key, change["new"])
    # Contacts stay out of the event log, which more people read than the site's contact.
    logged = {
        k: v if k not in ("contact_name", "contact_phone") else {"changed": True}
        for k, v in changes.items()
    }
    await events.append(
        session,
        kind=f"{type}.corrected",
        entity=type,
        entity_id=site.id,
        actor_id=user.id,
        region=site.region,
        departement=site.departement,
        payload={"changes": logged},
    )
    return site


async def _require_can_add(session: AsyncSession, user: User, site: Site) -> None:
    """Members of a site, and coordinators of its area, may bring people in."""
    coordinator = user.role in (Role.COORDINATOR, Role.ADMIN)
    if not (coordinator and covers(user, site.region, site.departement)):
        await require_member(session, user, site)


async def _join(session: AsyncSession, *, user: User, site: Site) -> None:
    """Make ``user`` a member, if their role may belong to this kind of site (409 if not)."""
    expected = MEMBERS[SiteType(site.type)]
    if user.role != expected:
        raise Conflict(
            _("You are a {role}: only a {expected} can join a {type}."),
            role=Role(user.role),
            expected=expected,
            type=SiteType(site.type),
        )
    if not await is_member(session, user, site.id):
        session.add(Membership(user_id=user.id, site_id=site.id))


INVITATION_SUBJECT = _("An invitation to join {site} on the hub")
INVITATION_MAIL = _(
    "Hello,\n\n"
    "{inviter} invites you to join {site} on the hub, where hospitals post what they need "
    "and labs and makers make it. Open this link, sign in or sign up, and accept:\n\n"
    "{link}\n\n"
    "If you do not know {inviter} or {site}, ignore this mail: nothing changes.\n\n"
    "The hub"
)


async def invite(
    session: AsyncSession,
    *,
    user: User,
    site: Site,
    email: str,
    lang: Lang = "en",
    base_url: str = "",
) -> tuple[Invitation, str]:
    """Invite someone by e-mail to join a site; return the invitation and its link.

    The link (``/app#invitation=ID.TOKEN``: sign in or up there, then accept) is mailed to
    the address through the notifications outbox and given to the inviter, who may pass it
    on where mail is not set up. Whoever opens it, signed in, may accept: the token, not the
    address, is the proof. An account made later with the address (anyone may sign up with
    any address) gets nothing, and the answer is the same whether or not an account uses the
    e-mail. Inviting the same e-mail again while the first invitation waits gives it a new
    link (the old one stops working).
    """
    await _require_can_add(session, user, site)
    address = email.strip().lower()
    invitation = await session.scalar(
        select(Invitation).where(
            Invitation.site_id == site.id,
            Invitation.email == address,
            Invitation.answered_at.is_(None),
        )
    )
    if invitation is None:
        invitation = Invitation(site_id=site.id, email=address, invited_by=user.id)
        session.add(invitation)
    token = secrets.token_urlsafe(32)
    invitation.token_hash = digest(token)
    await session.flush()
    # In the fragment (after #): browsers never send it, so it stays out of access logs.
    link = f"{base_url}/app?lang={lang}#invitation={invitation.id}.{token}"
    values = {"inviter": user.name, "site": site.name, "link": link}
    await enqueue(
        session,
        kind="invitation",
        to=address,
        subject=INVITATION_SUBJECT,
        body=INVITATION_MAIL,
        lang=lang,
        values=values,
    )
    return invitation, link


async def answer_invitation(
    session: AsyncSession, *, user: User, invitation_id: int, token: str, accept: bool
) -> Site:
    """Accept (join the site) or decline the invitation whose link's token is ``token``."""
    invitation = await session.scalar(
        select(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.token_hash == digest(token),
        )
        .with_for_update()
    )
    if invitation is None or invitation.answered_at is not None:
        # A wrong token, a used link and a missing invitation answer alike.
        raise NotFound(_("This invitation link is not valid (or was used); ask for a new one."))
    site = await session.get(Site, invitation.site_id)
    assert site is not None  # invitations go with their site (ON DELETE CASCADE)
    if accept:
        await _join(session, user=user, site=site)
    invitation.answered_at, invitation.accepted = utcnow(), accept
    if accept:
        await events.append(
            session,
            kind=f"{site.type}.member_joined",
            entity=site.type,
            entity_id=site.id,
            actor_id=user.id,
            region=site.region,
            departement=site.departement,
            payload={"user_id": user.id, "invitation_id": invitation.id},
        )
    return site


def site_out(site: Site, view: SiteView) -> SiteOut:
    """Render a site as ``view`` allows: its contact, and its exact place and address."""
    lat, lon, address = site.lat, site.lon, site.address
    address_shown: str | None = address
    if not view.exact_place:
        lat, lon, address_shown = coarse(lat), coarse(lon), None
    return SiteOut(
        id=site.id,
        type=SiteType(site.type),
        kind=site.kind,
        name=site.name,
        address=address_shown,
        lat=lat,
        lon=lon,
        region=site.region,
        departement=site.departement,
        time_zone=site.time_zone,
        land=site.land,
        status=SiteStatus(site.status),
        equipment=list(site.equipment or []),
        opens=minutes_to_hhmm(site.opens_min),
        closes=minutes_to_hhmm(site.closes_min),
        contact_name=site.contact_name if view.contact else None,
        contact_phone=site.contact_phone if view.contact else None,
        finess=site.finess,
        siret=site.siret,
        created_at=site.created_at,
    )


async def list_sites(
    session: AsyncSession,
    *,
    type: SiteType,
    area: Area | None,
    status: str | None,
    mine_of: User | None,
    limit: int,
    offset: int,
) -> tuple[list[Site], int]:
    """Return a page of sites and the total count."""
    query: Select[Site] = select(Site).where(
        Site.type == type, area_condition(area, Site.region, Site.departement)
    )
    if status:
        query = query.where(Site.status == status)
    if mine_of is not None:
        query = query.join(Membership, Membership.site_id == Site.id).where(
            Membership.user_id == mine_of.id
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Site.id).limit(limit).offset(offset))
    return list(rows.all()), int(total or 0)
