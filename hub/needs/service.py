"""Posting, reading and cancelling needs."""

import hashlib
import json
from datetime import date
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from designs import load_catalogue
from hub.access import covers, is_member
from hub.auth.models import User
from hub.batches.models import Batch
from hub.db import by_id
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.events import service as events
from hub.i18n import _
from hub.needs.listing import NO_BATCHES, progress_sums
from hub.needs.models import IdempotencyKey, Need
from hub.needs.schemas import NeedIn
from hub.rules.states import (
    CLOSED_NEEDS,
    INACTIVE,
    NeedProgress,
    NeedStatus,
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


class Posted(NamedTuple):
    """A posted need, its hospital, and ``created`` false for a replayed ``Idempotency-Key``."""

    need: Need
    created: bool
    hospital: Site


async def create_need(
    session: AsyncSession,
    *,
    user: User,
    data: NeedIn,
    today: date | None = None,
    idempotency_key: str | None = None,
) -> Posted:
    """Post a need for a hospital the user staffs.

    ``needed_by`` may not be before today on the hospital's own clock; ``today`` overrides
    that day (a scenario seeded at a fixed date).
    """
    if idempotency_key is not None:
        previous = await _replayed(session, user, idempotency_key, data)
        if previous is not None:
            hospital = await get_site(session, previous.hospital_id, SiteType.HOSPITAL)
            return Posted(previous, False, hospital)
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
    return Posted(need, True, hospital)


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
    p = (await progress_sums(session, [need.id])).get(need.id, NO_BATCHES)
    stages = NeedProgress(
        claimed=p["claimed"],
        made=p["made"],
        ready=p["ready"],
        picked_up=p["picked_up"],
        delivered=p["delivered"],
    )
    need.status = need_status(need.quantity, stages)


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
