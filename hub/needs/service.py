"""Posting, reading and cancelling needs."""

import hashlib
import json
from datetime import date
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle

from designs import load_catalogue
from hub.access import covers, is_member
from hub.area_filter import area_condition
from hub.auth.models import User
from hub.batches.models import Batch
from hub.db import by_id
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.events import service as events
from hub.geo.areas import Area
from hub.geodesy import bounding_box, haversine_km
from hub.i18n import _
from hub.needs.models import IdempotencyKey, Need
from hub.needs.schemas import HospitalRef, NeedIn, NeedOut, Progress, Stages
from hub.rules.states import (
    AWAITING_PICKUP,
    CLOSED_NEEDS,
    COMMITTED,
    INACTIVE,
    PROPOSALS,
    BatchState,
    NeedProgress,
    NeedStatus,
    Priority,
    SiteStatus,
    SiteType,
    need_status,
)
from hub.rules.totals import Totals, need_contribution, subtract
from hub.sites.models import Site
from hub.sites.service import get_site, get_site_of
from hub.timeutil import local_today


def check_design(slug: str) -> None:
    """Raise 422 unless the design is in the catalogue."""
    catalogue = load_catalogue()
    if slug not in catalogue:
        known = ", ".join(sorted(catalogue))
        raise Invalid(
            _("Unknown design {slug}. Known designs: {known}."),
            slug=repr(slug),
            known=known,
        )


def _request_hash(data: NeedIn) -> str:
    return hashlib.sha256(
        json.dumps(data.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()


async def create_need(
    session: AsyncSession,
    *,
    user: User,
    data: NeedIn,
    today: date | None = None,
    idempotency_key: str | None = None,
) -> tuple[Need, bool]:
    """Post a need for a hospital the user staffs; returns (need, created).

    ``needed_by`` may not be before today on the hospital's own clock; ``today`` overrides
    that day (a scenario seeded at a fixed date).
    """
    if idempotency_key is not None:
        previous = await _replayed(session, user, idempotency_key, data)
        if previous is not None:
            return previous, False
    hospital = await _check_new_need(session, user=user, data=data, today=today)
    need = Need(
        hospital_id=hospital.id,
        design=data.design,
        accepts=sorted({data.design, *data.accepts}),
        quantity=data.quantity,
        needed_by=data.needed_by,
        priority=data.priority,
        status=NeedStatus.REQUESTED,
        region=hospital.region,
        departement=hospital.departement,
        created_by=user.id,
    )
    session.add(need)
    await session.flush()
    if idempotency_key is not None:
        await _remember_key(session, user=user, key=idempotency_key, data=data, need=need)
    created = need_contribution(need.design, need.quantity, need.status)
    await _log(session, need, user, "need.created", created)
    return need, True


async def _check_new_need(
    session: AsyncSession, *, user: User, data: NeedIn, today: date | None
) -> Site:
    """Return the need's hospital once the user may post for it and the need makes sense."""
    hospital, member = await get_site_of(session, data.hospital_id, SiteType.HOSPITAL, user)
    if not member:
        raise Forbidden(
            _("You are not staff of hospital {id} ({name})."),
            id=hospital.id,
            name=hospital.name,
        )
    check_design(data.design)
    for slug in data.accepts:
        check_design(slug)
    if today is None:
        today = local_today(hospital.time_zone)
    if data.needed_by < today:
        raise Invalid(
            _("needed_by ({needed_by}) is in the past; today is {today}."),
            needed_by=data.needed_by,
            today=today,
        )
    return hospital


async def _remember_key(
    session: AsyncSession, *, user: User, key: str, data: NeedIn, need: Need
) -> None:
    """Store the Idempotency-Key with the request's hash, so that a retry finds this need."""
    session.add(
        IdempotencyKey(user_id=user.id, key=key, request_hash=_request_hash(data), need_id=need.id)
    )
    try:
        await session.flush()
    except IntegrityError as exc:
        # A concurrent retry with the same key committed first; the client retries once
        # more and gets that one.
        raise Conflict(_("A request with this Idempotency-Key is in progress; retry.")) from exc


async def _replayed(session: AsyncSession, user: User, key: str, data: NeedIn) -> Need | None:
    row = await session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user.id, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.request_hash != _request_hash(data):
        raise Invalid(
            _("This Idempotency-Key was already used for a different request; use a new key.")
        )
    return await session.get(Need, row.need_id)


async def _log(
    session: AsyncSession, need: Need, user: User, kind: str, totals_delta: Totals
) -> None:
    """Append a need's event, with its public payload and what it changes in the totals."""
    await events.append(
        session,
        kind=kind,
        entity="need",
        entity_id=need.id,
        actor_id=user.id,
        region=need.region,
        departement=need.departement,
        payload=_payload(need),
        totals_delta=totals_delta,
    )


def _payload(need: Need) -> dict[str, object]:
    return {
        "need_id": need.id,
        "hospital_id": need.hospital_id,
        "design": need.design,
        "quantity": need.quantity,
        "needed_by": need.needed_by.isoformat(),
        "priority": need.priority,
        "status": need.status,
    }


async def get_need(session: AsyncSession, need_id: int, *, lock: bool = False) -> Need:
    """Return a need or raise 404."""
    need = await session.scalar(by_id(Need, lock=lock), {"id": need_id})
    if need is None:
        raise NotFound(_("There is no need with id {id}."), id=need_id)
    return need


_ALLOCATED = select(func.coalesce(func.sum(Batch.quantity), 0)).where(
    Batch.need_id == bindparam("need_id"), Batch.state.not_in(INACTIVE)
)


async def allocated(session: AsyncSession, need_id: int) -> int:
    """Return the units of a need held by batches that are not declined or cancelled."""
    total = await session.scalar(_ALLOCATED, {"need_id": need_id})
    return int(total or 0)


async def require_can_cancel(session: AsyncSession, *, user: User, need: Need) -> None:
    """Raise unless the user may cancel this locked need now (staff, or a coordinator)."""
    hospital = await get_site(session, need.hospital_id, SiteType.HOSPITAL)
    staff = await is_member(session, user, hospital.id)
    if not (staff or covers(user, need.region, need.departement)):
        raise Forbidden(
            _("Only staff of {name} or a coordinator can cancel this need."), name=hospital.name
        )
    if need.status in CLOSED_NEEDS:
        raise Conflict(
            _("Need {id} is already {status}."), id=need.id, status=NeedStatus(need.status)
        )


async def mark_cancelled(session: AsyncSession, *, user: User, need: Need) -> None:
    """Set a locked need cancelled and log it (its batches are the caller's business)."""
    before = need_contribution(need.design, need.quantity, need.status)
    need.status = NeedStatus.CANCELLED
    after = need_contribution(need.design, need.quantity, need.status)
    await _log(session, need, user, "need.cancelled", subtract(after, before))


async def refresh_status(session: AsyncSession, need: Need) -> None:
    """Recompute a need's status from its batches: the stage all its units have reached."""
    if need.status == NeedStatus.CANCELLED:
        return
    p = (await progress_of(session, [need.id])).get(need.id, Progress())
    stages = NeedProgress(
        claimed=p.claimed, made=p.made, ready=p.ready, picked_up=p.picked_up, delivered=p.delivered
    )
    need.status = need_status(need.quantity, stages)


#: Batches that left the claimed state for good but not yet received (hub.rules.totals).
_ON_THE_ROAD = (BatchState.READY, BatchState.PICKED_UP, BatchState.DELIVERED)


def _progress_statement() -> Select[*tuple[Any, ...]]:
    committed = Batch.state.in_(COMMITTED)

    def total(
        value: SQLColumnExpression[int], condition: ColumnElement[bool] = committed
    ) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    return (
        select(
            Batch.need_id,
            total(Batch.quantity, Batch.state.in_(PROPOSALS)),
            total(Batch.quantity),
            total(Batch.made),
            total(Batch.made - Batch.picked_up, Batch.state.in_(AWAITING_PICKUP)),
            total(Batch.picked_up),
            total(Batch.delivered),
            total(Batch.accepted),
            total(Batch.rejected),
            # The stages, as hub.rules.totals.batch_stages splits each batch.
            total(Batch.quantity, Batch.state == BatchState.CLAIMED),
            total(Batch.quantity - Batch.picked_up, Batch.state.in_(_ON_THE_ROAD)),
            total(Batch.picked_up - Batch.delivered, Batch.state.in_(_ON_THE_ROAD)),
            total(Batch.delivered, Batch.state.in_(_ON_THE_ROAD)),
            total(Batch.quantity, Batch.state == BatchState.RECEIVED),
        )
        .where(Batch.need_id.in_(bindparam("need_ids", expanding=True)))
        .group_by(Batch.need_id)
    )


#: Built once: building this statement and its cache key cost 2.5 ms a call (profiled under
#: the load benchmark, where GET /needs, POST /needs and progress reports all run it); a
#: statement object keeps its cache key, and the ids go in as an expanding parameter.
_PROGRESS = _progress_statement()


async def progress_of(session: AsyncSession, need_ids: list[int]) -> dict[int, Progress]:
    """Return the progress counters of several needs in one query."""
    if not need_ids:
        return {}
    rows = await session.execute(_PROGRESS, {"need_ids": need_ids})
    out: dict[int, Progress] = {}
    for row in rows:
        need_id, proposed, claimed, made, ready, picked, delivered, accepted, rejected = row[:9]
        being_made, at_lab, on_the_way, dropped, received = row[9:]
        out[need_id] = Progress(
            stages=Stages(
                proposed=proposed,
                being_made=being_made,
                ready=at_lab,
                on_the_way=on_the_way,
                delivered=dropped,
                received=received,
            ),
            proposed=proposed,
            claimed=claimed,
            made=made,
            ready=ready,
            picked_up=picked,
            delivered=delivered,
            accepted=accepted,
            rejected=rejected,
        )
    return out


class Hospital(Protocol):
    """What a need's rendering reads of its hospital: a :class:`Site` or a ``_HOSPITAL`` row."""

    id: int
    name: str
    status: str
    lat: float
    lon: float


#: The hospital columns a listed need shows. Listing loads these five rather than whole sites
#: (22 columns, a JSON one among them): listing and rendering 50 needs took 3.0 to 3.4 ms with
#: whole sites, 2.7 ms with these (in-process, best of 7 runs of 100, both in the same hour).
_HOSPITAL: Bundle[Any] = Bundle("hospital", Site.id, Site.name, Site.status, Site.lat, Site.lon)


async def list_needs(
    session: AsyncSession,
    *,
    status: str | None,
    design: str | None,
    area: Area | None,
    hospital_id: int | None,
    near: tuple[float, float] | None,
    radius_km: float | None,
    limit: int,
    offset: int,
    open_only: bool = False,
) -> tuple[list[tuple[Need, Hospital, float | None]], int]:
    """Return a page of needs with their hospital's public fields (and distance when ``near``
    is given).

    ``open_only`` keeps the needs with units no lab has taken yet: what a maker can claim.
    """
    query: Select[Need, Any] = (
        select(Need, _HOSPITAL)
        .join(Site, Site.id == Need.hospital_id)
        .where(area_condition(area, Need.region, Need.departement))
    )
    if status:
        query = query.where(Need.status == status)
    if design:
        query = query.where(Need.design == design)
    if hospital_id is not None:
        query = query.where(Need.hospital_id == hospital_id)
    if open_only:
        held = (
            select(func.coalesce(func.sum(Batch.quantity), 0))
            .where(Batch.need_id == Need.id, Batch.state.not_in(INACTIVE))
            .scalar_subquery()
        )
        query = query.where(Need.status != NeedStatus.CANCELLED, Need.quantity > held)
    if near is None:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await session.execute(
            query.order_by(Need.needed_by, Need.id).limit(limit).offset(offset)
        )
        return [(n, h, None) for n, h in rows.all()], int(total or 0)
    # Near: a bounding box in SQL narrows the rows, exact distances are computed here.
    lat, lon = near
    radius = radius_km if radius_km is not None else 50.0
    south, west, north, east = bounding_box(lat, lon, radius)
    query = query.where(Site.lat.between(south, north))
    if west <= east:
        query = query.where(Site.lon.between(west, east))
    found: list[tuple[Need, Hospital, float | None]] = []
    for need, site in (await session.execute(query)).all():
        distance = haversine_km(lat, lon, site.lat, site.lon)
        if distance <= radius:
            found.append((need, site, round(distance, 2)))
    found.sort(key=lambda row: (row[2], row[0].needed_by, row[0].id))
    return found[offset : offset + limit], len(found)


def need_out(need: Need, hospital: Hospital, progress: Progress, distance: float | None) -> NeedOut:
    """Render a need with its hospital and progress."""
    # Proposed plus committed is everything not declined or cancelled: what is held.
    held = progress.proposed + progress.claimed
    progress.remaining = 0 if need.status == NeedStatus.CANCELLED else need.quantity - held
    progress.stages.requested = max(progress.remaining, 0)
    return NeedOut(
        id=need.id,
        hospital=HospitalRef(
            id=hospital.id,
            name=hospital.name,
            verified=hospital.status == SiteStatus.VERIFIED,
            lat=hospital.lat,
            lon=hospital.lon,
        ),
        design=need.design,
        accepts=list(need.accepts or [need.design]),
        quantity=need.quantity,
        needed_by=need.needed_by,
        priority=Priority(need.priority),
        status=NeedStatus(need.status),
        region=need.region,
        departement=need.departement,
        flagged=hospital.status != SiteStatus.VERIFIED,
        distance_km=distance,
        progress=progress,
        created_at=need.created_at,
    )


async def render_needs(
    session: AsyncSession, rows: list[tuple[Need, Hospital, float | None]]
) -> list[NeedOut]:
    """Render several needs with their progress, in one query."""
    ids = [need.id for need, _, _ in rows]
    progress = await progress_of(session, ids)
    return [
        need_out(need, site, progress.get(need.id, Progress()), distance)
        for need, site, distance in rows
    ]


async def allocated_many(session: AsyncSession, need_ids: list[int]) -> dict[int, int]:
    """Return :func:`allocated` for several needs in one query."""
    if not need_ids:
        return {}
    rows = await session.execute(
        select(Batch.need_id, func.sum(Batch.quantity))
        .where(Batch.need_id.in_(need_ids), Batch.state.not_in(INACTIVE))
        .group_by(Batch.need_id)
    )
    return {need_id: int(total) for need_id, total in rows.all()}
