"""The batch life cycle: claims, proposals, progress, pickup, delivery, receipt, cancellation.

Each action checks who may do it (``hub.access``) and whether the batch's state allows it
(``hub.rules.states.TRANSITIONS``), then writes the change with ``records.record``.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    RowMapping,
    Select,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import (
    batch_parties,
    covers,
    is_member,
    require_coordinator_of,
    require_verified,
)
from hub.area_filter import drafts_seen
from hub.auth.models import User
from hub.batches.models import Batch
from hub.batches.records import (
    contribution,
    create_batch,
    get_batch,
    lock_batch,
    need_cancelled,
    new_batch,
    record,
    require_action,
)
from hub.batches.schemas import BatchOut
from hub.db import column_rows, utcnow
from hub.driver_routes.models import RouteStop
from hub.errors import Conflict, Forbidden, Invalid
from hub.geo.areas import Area, parse_area
from hub.i18n import N_, _
from hub.needs.models import Need
from hub.needs.service import allocated, get_need
from hub.offers.capacity import free_by
from hub.rules.states import (
    COMMITTED,
    BatchAction,
    BatchState,
    NeedStatus,
    Role,
    SiteStatus,
    SiteType,
)
from hub.sites.models import Site
from hub.sites.service import get_member_site, get_site


async def claim(
    session: AsyncSession,
    *,
    user: User,
    need_id: int,
    lab_id: int,
    quantity: int,
    design: str | None,
    today: date,
) -> Batch:
    """A member of a verified lab claims part of a verified hospital's need.

    403 for a lab or hospital not verified; 409 beyond what remains of the need or beyond what
    the lab declared it can make by the need's date (``hub.offers.capacity.free_by``).
    """
    lab = await get_member_site(session, lab_id, SiteType.LAB, user)
    require_verified(lab)
    need = await get_need(session, need_id, lock=True)
    # The lab too (after the need, as matching runs do): a run in flight re-checks its work.
    await get_site(session, lab_id, SiteType.LAB, lock=True)
    if need.status == NeedStatus.CANCELLED:
        raise need_cancelled(need)
    hospital = await get_site(session, need.hospital_id, SiteType.HOSPITAL)
    if hospital.status != SiteStatus.VERIFIED:
        raise Forbidden(
            _("Need {id} comes from a site that is not verified: it cannot be claimed."),
            id=need.id,
        )
    accepted = need.accepts or [need.design]
    chosen = design or need.design
    if chosen not in accepted:
        raise Invalid(
            _("Need {id} accepts {accepted}, not {chosen}."),
            id=need.id,
            accepted=", ".join(accepted),
            chosen=chosen,
        )
    await _require_capacity(
        session, lab=lab, design=chosen, need=need, quantity=quantity, today=today
    )
    return await create_batch(
        session,
        need=need,
        lab_id=lab.id,
        quantity=quantity,
        design=chosen,
        state=BatchState.CLAIMED,
        actor=user,
    )


async def _require_capacity(
    session: AsyncSession, *, lab: Site, design: str, need: Need, quantity: int, today: date
) -> None:
    """Raise 409 when the lab declared less than ``quantity`` more units by the need's date."""
    free = await free_by(session, lab=lab, design=design, due=need.needed_by, today=today)
    if quantity <= free:
        return
    if free == 0:
        raise Conflict(
            _(
                "{lab} has no capacity left for {design} by {due}: declare or update its "
                "capacity for this design first."
            ),
            lab=lab.name,
            design=design,
            due=need.needed_by,
        )
    raise Conflict(
        N_(
            "{lab} declared it can make {free} more unit of {design} by {due}; you asked for "
            "{quantity}. Claim less, or update its capacity first.",
            "{lab} declared it can make {free} more units of {design} by {due}; you asked for "
            "{quantity}. Claim less, or update its capacity first.",
            "free",
        ),
        lab=lab.name,
        free=free,
        design=design,
        due=need.needed_by,
        quantity=quantity,
    )


async def _lab_batch(session: AsyncSession, user: User, batch_id: int) -> tuple[Batch, Need]:
    """Lock a batch (and its need) that the user's lab holds."""
    batch, need = await lock_batch(session, batch_id)
    await get_member_site(session, batch.lab_id, SiteType.LAB, user)
    return batch, need


async def accept(session: AsyncSession, *, user: User, batch_id: int) -> Batch:
    """The lab accepts a proposal from the matcher (a verified lab only)."""
    batch, need = await _lab_batch(session, user, batch_id)
    require_action(batch, BatchAction.ACCEPT)
    require_verified(await get_site(session, batch.lab_id, SiteType.LAB))
    if need.status == NeedStatus.CANCELLED:
        raise need_cancelled(need)
    before = contribution(batch)
    batch.state = BatchState.CLAIMED
    await record(session, batch=batch, need=need, before=before, kind="batch.accepted", actor=user)
    return batch


async def decline(session: AsyncSession, *, user: User, batch_id: int) -> Batch:
    """The lab declines a proposal; its quantity goes back to the pool."""
    batch, need = await _lab_batch(session, user, batch_id)
    require_action(batch, BatchAction.DECLINE)
    before = contribution(batch)
    batch.state = BatchState.DECLINED
    await record(session, batch=batch, need=need, before=before, kind="batch.declined", actor=user)
    return batch


def _check_made_fits(batch: Batch, made: int) -> None:
    if made > batch.quantity:
        raise Invalid(
            _("made ({made}) is more than the batch quantity ({quantity})."),
            made=made,
            quantity=batch.quantity,
        )


async def correct_made(
    session: AsyncSession, *, user: User, batch_id: int, made: int, reason: str
) -> Batch:
    """A coordinator of the area sets a claimed batch's made count, down as well as up.

    Makers' reports only go up, so a typo ("100" for "10") would otherwise stay on the
    dashboard; the correction is logged with the previous count and the reason.
    """
    batch, need = await lock_batch(session, batch_id)
    require_coordinator_of(user, need.region, need.departement)
    require_action(batch, BatchAction.CORRECT)
    _check_made_fits(batch, made)
    before = contribution(batch)
    previous = batch.made
    batch.made = made
    batch.progress_at = utcnow()
    await record(
        session,
        batch=batch,
        need=need,
        before=before,
        kind="batch.corrected",
        actor=user,
        extra={"previous_made": previous, "reason": reason},
    )
    return batch


async def report_progress(session: AsyncSession, *, user: User, batch_id: int, made: int) -> Batch:
    """Set the absolute made count; it only goes up and never past the quantity."""
    batch, need = await _lab_batch(session, user, batch_id)
    require_action(batch, BatchAction.REPORT_PROGRESS)
    _check_made_fits(batch, made)
    if made < batch.made:
        raise Conflict(
            _("made only goes up: batch {code} already has {made} made."),
            code=batch.code,
            made=batch.made,
        )
    if made == batch.made:
        return batch
    before = contribution(batch)
    batch.made = made
    batch.progress_at = utcnow()
    await record(session, batch=batch, need=need, before=before, kind="batch.progress", actor=user)
    return batch


#: What becomes of a batch's unmade units when it is marked ready: ``keep`` making them in a
#: new claimed batch (the made units leave as a first part), or ``release`` them to the need.
Rest = Literal["keep", "release"]


async def mark_ready(
    session: AsyncSession, *, user: User, batch_id: int, rest: Rest | None = None
) -> Batch:
    """The batch is boxed and waits for pickup; with fewer made than claimed, ``rest`` says
    whether the other units stay claimed in a new batch (``keep``) or go back (``release``).

    Nothing shrinks silently: 422 when units are missing and ``rest`` is not given.
    """
    batch, need = await _lab_batch(session, user, batch_id)
    require_action(batch, BatchAction.MARK_READY)
    if batch.made == 0:
        raise Conflict(
            _("Batch {code} has nothing made yet; report progress first."), code=batch.code
        )
    missing = batch.quantity - batch.made
    if missing > 0 and rest is None:
        raise Invalid(
            N_(
                "Batch {code} has {made} of {quantity} made: say what becomes of the other "
                "{missing} unit (rest: keep making it in a new batch, or release it to the need).",
                "Batch {code} has {made} of {quantity} made: say what becomes of the other "
                "{missing} units (rest: keep making them in a new batch, or release them to the "
                "need).",
                "missing",
            ),
            code=batch.code,
            made=batch.made,
            quantity=batch.quantity,
            missing=missing,
        )
    before = contribution(batch)
    batch.quantity = batch.made
    batch.state = BatchState.READY
    if missing == 0:
        await record(session, batch=batch, need=need, before=before, kind="batch.ready", actor=user)
        return batch
    if rest == "release":
        await record(
            session,
            batch=batch,
            need=need,
            before=before,
            kind="batch.ready",
            actor=user,
            extra={"released": missing},
        )
        return batch
    # Keep: the made units leave as a first part; the rest stays claimed by the same lab, for
    # the same need and date, in a new batch with its own code (the first part is shrunk
    # first, so the need's total never exceeds its quantity, even inside the transaction).
    await record(
        session,
        batch=batch,
        need=need,
        before=before,
        kind="batch.ready",
        actor=user,
        extra={"kept": missing},
    )
    part = new_batch(
        need=need,
        lab_id=batch.lab_id,
        quantity=missing,
        design=batch.design,
        state=BatchState.CLAIMED,
        distance_km=batch.distance_km,
        run_id=batch.run_id,
    )
    session.add(part)
    await session.flush()
    await record(
        session,
        batch=part,
        need=need,
        before={batch.design: {}},
        kind="batch.split",
        actor=user,
        extra={"from_batch_id": batch.id, "from_code": batch.code},
    )
    return batch


async def receipt(
    session: AsyncSession,
    *,
    user: User,
    batch_id: int,
    accepted: int,
    rejected: int,
    reason: str | None,
) -> Batch:
    """The hospital confirms what arrived; a maker who drove it counts as picked up."""
    batch, need = await lock_batch(session, batch_id)
    if user.role != Role.ADMIN and not await is_member(session, user, need.hospital_id):
        raise Forbidden(
            _("Only staff of the receiving hospital can confirm batch {code}."), code=batch.code
        )
    require_action(batch, BatchAction.RECEIVE)
    total = accepted + rejected
    if total > batch.made:
        raise Invalid(
            N_(
                "Batch {code} has {made} unit; you counted {total} "
                "({accepted} accepted + {rejected} rejected).",
                "Batch {code} has {made} units; you counted {total} "
                "({accepted} accepted + {rejected} rejected).",
                "made",
            ),
            code=batch.code,
            made=batch.made,
            total=total,
            accepted=accepted,
            rejected=rejected,
        )
    before = contribution(batch)
    # Counters only move forward; a hand delivery skips the driver, so catch them up.
    batch.picked_up = max(batch.picked_up, total)
    batch.delivered = max(batch.delivered, total)
    batch.accepted, batch.rejected = accepted, rejected
    batch.reject_reason = reason.strip() if reason else None
    batch.state = BatchState.RECEIVED
    await record(session, batch=batch, need=need, before=before, kind="batch.received", actor=user)
    return batch


async def cancel_batch_row(
    session: AsyncSession,
    *,
    batch: Batch,
    need: Need,
    actor: User,
    reason: str,
    extra: dict[str, Any] | None = None,
    discard: bool = True,
) -> None:
    """Cancel a locked batch that has not left its lab, nor been promised to a driver (a draft
    proposal is discarded, unless ``discard`` is false: the caller deletes its row later in
    the transaction); ``extra`` goes into its event."""
    require_action(batch, BatchAction.CANCEL)
    reserved = await session.scalar(
        select(RouteStop.route_id).where(RouteStop.open_batch_id == batch.id).limit(1)
    )
    if reserved is not None:
        raise Conflict(
            _(
                "Batch {code} is on driver route {route}; "
                "the driver must give the route back first."
            ),
            code=batch.code,
            route=reserved,
        )
    before = contribution(batch)
    draft = batch.state == BatchState.DRAFT
    batch.state = BatchState.CANCELLED
    await record(
        session,
        batch=batch,
        need=need,
        before=before,
        kind="batch.cancelled",
        actor=actor,
        extra={"reason": reason, "draft": draft, **(extra or {})},
    )
    if draft and discard:
        # A draft no lab ever saw is discarded, not kept as a cancelled batch the lab would
        # then see; its events stay, the audit trail of the review.
        await session.delete(batch)
        await session.flush()


async def cancel(session: AsyncSession, *, user: User, batch_id: int) -> Batch:
    """Cancel a batch: its lab withdraws, or a coordinator of the area cancels it."""
    batch, need = await lock_batch(session, batch_id)
    coordinator = covers(user, need.region, need.departement)
    if not coordinator and not await is_member(session, user, batch.lab_id):
        raise Forbidden(
            _("Only the lab or a coordinator of the area can cancel {code}."), code=batch.code
        )
    await cancel_batch_row(
        session, batch=batch, need=need, actor=user, reason="coordinator" if coordinator else "lab"
    )
    return batch


async def adjust(session: AsyncSession, *, user: User, batch_id: int, quantity: int) -> Batch:
    """A coordinator changes an assignment's quantity, within what the need allows."""
    batch, need = await lock_batch(session, batch_id)
    require_coordinator_of(user, need.region, need.departement)
    require_action(batch, BatchAction.ADJUST)
    if quantity < batch.made:
        raise Conflict(
            _("Batch {code} already has {made} made; cannot go below."),
            code=batch.code,
            made=batch.made,
        )
    remaining = need.quantity - await allocated(session, need.id) + batch.quantity
    if quantity > remaining:
        raise Conflict(
            N_(
                "Need {id} has room for {remaining} unit in this batch at most.",
                "Need {id} has room for {remaining} units in this batch at most.",
                "remaining",
            ),
            id=need.id,
            remaining=remaining,
        )
    before = contribution(batch)
    old = batch.quantity
    batch.quantity = quantity
    await record(
        session,
        batch=batch,
        need=need,
        before=before,
        kind="batch.adjusted",
        actor=user,
        extra={"previous_quantity": old},
    )
    return batch


async def label_parts(
    session: AsyncSession, *, user: User, batch_id: int
) -> tuple[Batch, Site, Site]:
    """Return a batch with its lab and hospital, for its label (members of the lab, once the
    batch is theirs: not a proposal, nor declined or cancelled)."""
    batch = await get_batch(session, batch_id)
    lab = await get_member_site(session, batch.lab_id, SiteType.LAB, user)
    if batch.state not in COMMITTED:
        raise Conflict(
            _("Batch {code} is {state}: a label is printed for a batch the lab has taken on."),
            code=batch.code,
            state=BatchState(batch.state),
        )
    need = await get_need(session, batch.need_id)
    return batch, lab, await get_site(session, need.hospital_id, SiteType.HOSPITAL)


#: What a batch shows (``BatchOut``'s fields), read as columns by listings.
_SHOWN = tuple(BatchOut.model_fields)

#: The listing's columns and join, built once: coercing the 18 columns was about half of the
#: 41 expression coercions ``list_batches`` made a request (cProfile); 14.99 -> 14.39 M
#: instructions a listing (callgrind, 2026-12-02).
_LISTED = select(*(getattr(Batch, name) for name in _SHOWN)).join(Need, Need.id == Batch.need_id)


def batch_body(batch: Batch) -> dict[str, Any]:
    """A ``BatchOut`` body of a batch, before ``batches_out`` hides what its viewer may not see."""
    return {name: getattr(batch, name) for name in _SHOWN}


@cache
def _listing(
    drafts: str | None, filters: frozenset[str]
) -> tuple[Select[tuple[Any, ...]], Select[tuple[int]]]:
    """A page of batches with the count of all that match, and that count alone (for a page
    past the last), built once per shape: the kind of area whose drafts the viewer sees
    (``drafts``: ``FR`` all, ``None`` none, else its code bound as ``drafts``) and the
    equality ``filters`` by name (``_FILTERS``, an area by its kind), values bound by name.
    Built per request, the statement and its cache key were a third of the listing's Python
    time under cProfile (2026-12-02)."""
    conditions = [_FILTERS[name] == bindparam(name) for name in sorted(filters)]
    if drafts != "FR":
        not_draft = Batch.state != BatchState.DRAFT
        if drafts is not None:
            not_draft = or_(not_draft, _FILTERS[drafts] == bindparam("drafts"))
        conditions.append(not_draft)
    # The count rides along as an uncorrelated subquery (computed once): one statement less.
    count = (
        select(func.count(Batch.id))
        .join(Need, Need.id == Batch.need_id)
        .where(*conditions)
        .scalar_subquery()
    )
    page = (
        _LISTED.add_columns(count.label("total"))
        .where(*conditions)
        .order_by(Batch.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return page, select(count)


#: The listing's equality filters by name; an area's by its kind (its need's columns).
_FILTERS = {
    "lab_id": Batch.lab_id,
    "need_id": Batch.need_id,
    "state": Batch.state,
    "region": Need.region,
    "departement": Need.departement,
}


async def list_batches(
    session: AsyncSession,
    *,
    lab_id: int | None,
    need_id: int | None,
    state: str | None,
    limit: int,
    offset: int,
    area: Area | None = None,
    viewer: User | None = None,
) -> tuple[list[RowMapping], int]:
    """Return a page of batches (of needs in ``area``, if given) as rows of ``BatchOut``'s
    columns by name, and the total count; a ``viewer`` sees a run's draft proposals only
    where it coordinates (``drafts_seen``)."""
    values: dict[str, Any] = {"lab_id": lab_id, "need_id": need_id, "state": state or None}
    if area is not None and area.kind != "FR":
        values[area.kind] = area.code
    values = {name: value for name, value in values.items() if value is not None}
    seen = drafts_seen(viewer) if viewer is not None else parse_area("FR")
    page_of, count = _listing(None if seen is None else seen.kind, frozenset(values))
    params = {**values, "limit": limit, "offset": offset}
    if seen is not None and seen.kind != "FR":
        params["drafts"] = seen.code
    page = (await column_rows(session, page_of, params)).mappings().all()
    if page:
        return list(page), page[0]["total"]
    # Past the last page, or nothing matches: the count is still owed.
    return [], int(await session.scalar(count, params) or 0) if offset else 0


#: What a driver may not carry, and what is already carried, per counter.
_TOO_MANY = {
    BatchAction.PICK_UP: N_(
        "Batch {code} has {limit} unit made; you cannot pick up {quantity}.",
        "Batch {code} has {limit} units made; you cannot pick up {quantity}.",
        "limit",
    ),
    BatchAction.DELIVER: N_(
        "Batch {code} has {limit} unit on board; you cannot deliver {quantity}.",
        "Batch {code} has {limit} units on board; you cannot deliver {quantity}.",
        "limit",
    ),
}
_ALREADY = {
    BatchAction.PICK_UP: N_(
        "Batch {code} already has {count} unit picked up.",
        "Batch {code} already has {count} units picked up.",
        "count",
    ),
    BatchAction.DELIVER: N_(
        "Batch {code} already has {count} unit delivered.",
        "Batch {code} already has {count} units delivered.",
        "count",
    ),
}


async def carry(
    session: AsyncSession,
    *,
    batch: Batch,
    need: Need,
    counter: Literal["picked_up", "delivered"],
    quantity: int,
    actor: User,
    extra: dict[str, Any] | None = None,
) -> None:
    """A driver collects (``picked_up``) or hands over (``delivered``) a locked batch.

    The counter becomes ``quantity``, forward only: at most the units made for a pickup, at
    most the units on board for a delivery.
    """
    pickup = counter == "picked_up"
    action = BatchAction.PICK_UP if pickup else BatchAction.DELIVER
    limit = batch.made if pickup else batch.picked_up
    require_action(batch, action)
    if quantity > limit:
        raise Invalid(_TOO_MANY[action], code=batch.code, limit=limit, quantity=quantity)
    if quantity < getattr(batch, counter):
        raise Conflict(_ALREADY[action], code=batch.code, count=getattr(batch, counter))
    before = contribution(batch)
    setattr(batch, counter, quantity)
    batch.state = BatchState(counter)
    await record(
        session,
        batch=batch,
        need=need,
        before=before,
        kind=f"batch.{counter}",
        actor=actor,
        extra=extra,
    )


async def batches_out(
    session: AsyncSession, *, user: User, batches: Sequence[Mapping[Any, Any]]
) -> list[dict[str, Any]]:
    """Render batches (``batch_body``s or listed rows) for ``user`` as ``BatchOut`` bodies:
    tracking codes and reject reasons only for its parties (``hub.access.batch_parties``)."""
    keys = [(b["id"], b["lab_id"], b["need_id"]) for b in batches]
    parties = await batch_parties(session, user, keys)
    # A listed row carries the page's ``total`` too; validating ``BatchOut`` drops it.
    out = [dict(b) for b in batches]
    for body in out:
        if body["id"] not in parties:
            body["code"] = body["reject_reason"] = None
    return out
