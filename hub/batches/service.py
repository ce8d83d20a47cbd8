"""The batch life cycle: claims, proposals, progress, pickup, delivery and receipt.

Every function here locks the rows it checks (``FOR UPDATE`` on PostgreSQL; SQLite holds the
database write lock since ``BEGIN IMMEDIATE``), changes them, and appends an event with the
change's effect on the totals, all in the caller's transaction.
"""

import secrets
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import covers, is_member, require_coordinator_of, require_member
from hub.area_filter import area_condition
from hub.auth.models import User
from hub.batches.models import Batch
from hub.db import utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.events import service as events
from hub.geo.areas import Area
from hub.needs.models import Need
from hub.needs.service import allocated, get_need, refresh_status
from hub.rules.totals import batch_contribution, subtract
from hub.sites.models import Site
from hub.sites.service import get_site

# No 0/O, 1/I/L: codes are read off box labels and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code() -> str:
    """Return a fresh tracking code such as ``K7Q-2MXD``."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))
    return f"{chars[:3]}-{chars[3:]}"


def _contribution(batch: Batch) -> dict[str, dict[str, int]]:
    return batch_contribution(
        batch.design,
        batch.state,
        batch.quantity,
        batch.made,
        batch.picked_up,
        batch.delivered,
        batch.accepted,
        batch.rejected,
    )


def _payload(batch: Batch) -> dict[str, Any]:
    return {
        "batch_id": batch.id,
        "code": batch.code,
        "need_id": batch.need_id,
        "lab_id": batch.lab_id,
        "design": batch.design,
        "state": batch.state,
        "quantity": batch.quantity,
        "made": batch.made,
        "picked_up": batch.picked_up,
        "delivered": batch.delivered,
        "accepted": batch.accepted,
        "rejected": batch.rejected,
    }


async def record(
    session: AsyncSession,
    *,
    batch: Batch,
    need: Need,
    before: dict[str, dict[str, int]],
    kind: str,
    actor: User | None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Finish a batch change: timestamps, the need's status, and the event with its delta."""
    batch.updated_at = utcnow()
    await session.flush()
    await refresh_status(session, need)
    await events.append(
        session,
        kind=kind,
        entity="batch",
        entity_id=batch.id,
        actor_id=actor.id if actor else None,
        region=need.region,
        departement=need.departement,
        payload={**_payload(batch), **(extra or {})},
        totals_delta=subtract(_contribution(batch), before),
    )


def new_batch(
    *,
    need: Need,
    lab_id: int,
    quantity: int,
    design: str,
    state: str,
    distance_km: float | None = None,
    run_id: int | None = None,
) -> Batch:
    """Return a new, unsaved batch for a need, due when the need is."""
    return Batch(
        code=new_code(),
        need_id=need.id,
        lab_id=lab_id,
        design=design,
        quantity=quantity,
        due=need.needed_by,
        state=state,
        distance_km=distance_km,
        run_id=run_id,
    )


async def create_batch(
    session: AsyncSession,
    *,
    need: Need,
    lab_id: int,
    quantity: int,
    design: str,
    state: str,
    actor: User | None,
    distance_km: float | None = None,
    run_id: int | None = None,
) -> Batch:
    """Insert a batch for a need the caller has locked, after checking what remains."""
    remaining = need.quantity - await allocated(session, need.id)
    if quantity > remaining:
        raise Conflict(
            "Only {left} units of need {id} remain unclaimed; you asked for {quantity}.",
            "Il ne reste que {left} unités du besoin {id} à prendre ; vous en demandez {quantity}.",
            left=max(remaining, 0),
            id=need.id,
            quantity=quantity,
        )
    batch = new_batch(
        need=need,
        lab_id=lab_id,
        quantity=quantity,
        design=design,
        state=state,
        distance_km=distance_km,
        run_id=run_id,
    )
    session.add(batch)
    await session.flush()
    await record(
        session,
        batch=batch,
        need=need,
        before=batch_contribution(design, "new", 0, 0, 0, 0, 0, 0),
        kind=f"batch.{state}",
        actor=actor,
    )
    return batch


async def claim(
    session: AsyncSession,
    *,
    user: User,
    need_id: int,
    lab_id: int,
    quantity: int,
    design: str | None,
) -> Batch:
    """A lab member claims part of a need; 409 when more than what remains."""
    lab = await get_site(session, lab_id, "lab")
    await require_member(session, user, lab)
    need = await get_need(session, need_id, lock=True)
    # The lab too (after the need, as matching runs do): a run in flight re-checks its work.
    await get_site(session, lab_id, "lab", lock=True)
    if need.status == "cancelled":
        raise _need_cancelled(need)
    chosen = design or need.design
    if chosen not in (need.accepts or [need.design]):
        raise Invalid(
            "Need {id} accepts {accepted}, not {chosen}.",
            "Le besoin {id} accepte {accepted}, pas {chosen}.",
            id=need.id,
            accepted=", ".join(need.accepts or [need.design]),
            chosen=chosen,
        )
    return await create_batch(
        session,
        need=need,
        lab_id=lab.id,
        quantity=quantity,
        design=chosen,
        state="claimed",
        actor=user,
    )


async def get_batch(session: AsyncSession, batch_id: int, *, lock: bool = False) -> Batch:
    """Return a batch or raise 404."""
    query = select(Batch).where(Batch.id == batch_id)
    if lock:
        # populate_existing: a row read earlier in this session must be refreshed, not reused.
        query = query.with_for_update().execution_options(populate_existing=True)
    batch = await session.scalar(query)
    if batch is None:
        raise NotFound(
            "There is no batch with id {id}.", "Il n’y a pas de lot n° {id}.", id=batch_id
        )
    return batch


async def lock_batch(session: AsyncSession, batch_id: int) -> tuple[Batch, Need]:
    """Lock a batch and its need, need first: the one lock order every writer follows."""
    batch = await get_batch(session, batch_id)
    need = await get_need(session, batch.need_id, lock=True)
    return await get_batch(session, batch_id, lock=True), need


async def _lab_batch(session: AsyncSession, user: User, batch_id: int) -> tuple[Batch, Need]:
    """Lock a batch (and its need) that the user's lab holds."""
    batch, need = await lock_batch(session, batch_id)
    lab = await get_site(session, batch.lab_id, "lab")
    await require_member(session, user, lab)
    return batch, need


#: The actions of ``_require_state``'s messages, in French.
ACTIONS_FR = {
    "accept": "d’accepter le",
    "decline": "de refuser le",
    "report progress on": "de déclarer l’avancement du",
    "mark ready": "de marquer prêt le",
    "confirm receipt of": "de confirmer la réception du",
    "cancel": "d’annuler le",
    "adjust": "d’ajuster le",
    "correct": "de corriger le",
    "pick up": "de charger le",
    "deliver": "de livrer le",
}


def _require_state(batch: Batch, *allowed: str, action: str) -> None:
    if batch.state not in allowed:
        raise Conflict(
            "Cannot {action} batch {code}: it is {state} (only possible when {allowed}).",
            "Impossible {action_fr} lot {code} : il est {state} (possible seulement s’il est "
            "{allowed}).",
            action=action,
            action_fr=ACTIONS_FR[action],
            code=batch.code,
            state=batch.state,
            allowed=list(allowed),
        )


def _need_cancelled(need: Need) -> Conflict:
    return Conflict("Need {id} was cancelled.", "Le besoin {id} a été annulé.", id=need.id)


async def accept(session: AsyncSession, *, user: User, batch_id: int) -> Batch:
    """The lab accepts a proposal from the matcher."""
    batch, need = await _lab_batch(session, user, batch_id)
    _require_state(batch, "proposed", action="accept")
    if need.status == "cancelled":
        raise _need_cancelled(need)
    before = _contribution(batch)
    batch.state = "claimed"
    await record(session, batch=batch, need=need, before=before, kind="batch.accepted", actor=user)
    return batch


async def decline(session: AsyncSession, *, user: User, batch_id: int) -> Batch:
    """The lab declines a proposal; its quantity goes back to the pool."""
    batch, need = await _lab_batch(session, user, batch_id)
    _require_state(batch, "proposed", action="decline")
    before = _contribution(batch)
    batch.state = "declined"
    await record(session, batch=batch, need=need, before=before, kind="batch.declined", actor=user)
    return batch


def _check_made_fits(batch: Batch, made: int) -> None:
    if made > batch.quantity:
        raise Invalid(
            "made ({made}) is more than the batch quantity ({quantity}).",
            "Fabriqué ({made}) dépasse la quantité du lot ({quantity}).",
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
    _require_state(batch, "claimed", action="correct")
    _check_made_fits(batch, made)
    before = _contribution(batch)
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
    _require_state(batch, "claimed", action="report progress on")
    _check_made_fits(batch, made)
    if made < batch.made:
        raise Conflict(
            "made only goes up: batch {code} already has {made} made.",
            "Le compte fabriqué ne fait que monter : le lot {code} en a déjà {made}.",
            code=batch.code,
            made=batch.made,
        )
    if made == batch.made:
        return batch
    before = _contribution(batch)
    batch.made = made
    batch.progress_at = utcnow()
    await record(session, batch=batch, need=need, before=before, kind="batch.progress", actor=user)
    return batch


async def mark_ready(session: AsyncSession, *, user: User, batch_id: int) -> Batch:
    """The batch is boxed and waits for pickup; unmade units go back to the need's pool."""
    batch, need = await _lab_batch(session, user, batch_id)
    _require_state(batch, "claimed", action="mark ready")
    if batch.made == 0:
        raise Conflict(
            "Batch {code} has nothing made yet; report progress first.",
            "Le lot {code} n’a encore rien de fabriqué ; déclarez d’abord l’avancement.",
            code=batch.code,
        )
    before = _contribution(batch)
    released = batch.quantity - batch.made
    batch.quantity = batch.made
    batch.state = "ready"
    await record(
        session,
        batch=batch,
        need=need,
        before=before,
        kind="batch.ready",
        actor=user,
        extra={"released": released},
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
    if user.role != "admin" and not await is_member(session, user, need.hospital_id):
        raise Forbidden(
            "Only staff of the receiving hospital can confirm batch {code}.",
            "Seul le personnel de l’établissement destinataire peut confirmer le lot {code}.",
            code=batch.code,
        )
    _require_state(batch, "ready", "picked_up", "delivered", action="confirm receipt of")
    total = accepted + rejected
    if total > batch.made:
        raise Invalid(
            "Batch {code} has {made} units; you counted {total} "
            "({accepted} accepted + {rejected} rejected).",
            "Le lot {code} compte {made} unités ; vous en comptez {total} "
            "({accepted} acceptées + {rejected} refusées).",
            code=batch.code,
            made=batch.made,
            total=total,
            accepted=accepted,
            rejected=rejected,
        )
    before = _contribution(batch)
    # Counters only move forward; a hand delivery skips the driver, so catch them up.
    batch.picked_up = max(batch.picked_up, total)
    batch.delivered = max(batch.delivered, total)
    batch.accepted, batch.rejected = accepted, rejected
    batch.reject_reason = reason.strip() if reason else None
    batch.state = "received"
    await record(session, batch=batch, need=need, before=before, kind="batch.received", actor=user)
    return batch


async def cancel_batch_row(
    session: AsyncSession, *, batch: Batch, need: Need, actor: User, reason: str
) -> None:
    """Cancel a locked batch that has not left its lab, nor been promised to a driver."""
    _require_state(batch, "proposed", "claimed", "ready", action="cancel")
    # Imported here: routes depend on batches, not the other way round.
    from hub.driver_routes.models import RouteStop

    reserved = await session.scalar(
        select(RouteStop.route_id).where(RouteStop.open_batch_id == batch.id).limit(1)
    )
    if reserved is not None:
        raise Conflict(
            "Batch {code} is on driver route {route}; the driver must give the route back first.",
            "Le lot {code} est sur la tournée {route} ; le chauffeur doit d’abord la rendre.",
            code=batch.code,
            route=reserved,
        )
    before = _contribution(batch)
    batch.state = "cancelled"
    await record(
        session,
        batch=batch,
        need=need,
        before=before,
        kind="batch.cancelled",
        actor=actor,
        extra={"reason": reason},
    )


async def cancel(session: AsyncSession, *, user: User, batch_id: int) -> Batch:
    """Cancel a batch: its lab withdraws, or a coordinator of the area cancels it."""
    batch, need = await lock_batch(session, batch_id)
    coordinator = covers(user, need.region, need.departement)
    if not coordinator and not await is_member(session, user, batch.lab_id):
        raise Forbidden(
            "Only the lab or a coordinator of the area can cancel {code}.",
            "Seuls l’atelier ou un coordinateur de la zone peuvent annuler {code}.",
            code=batch.code,
        )
    await cancel_batch_row(
        session, batch=batch, need=need, actor=user, reason="coordinator" if coordinator else "lab"
    )
    return batch


async def adjust(session: AsyncSession, *, user: User, batch_id: int, quantity: int) -> Batch:
    """A coordinator changes an assignment's quantity, within what the need allows."""
    batch, need = await lock_batch(session, batch_id)
    require_coordinator_of(user, need.region, need.departement)
    _require_state(batch, "proposed", "claimed", action="adjust")
    if quantity < batch.made:
        raise Conflict(
            "Batch {code} already has {made} made; cannot go below.",
            "Le lot {code} a déjà {made} unités fabriquées ; impossible de descendre en dessous.",
            code=batch.code,
            made=batch.made,
        )
    remaining = need.quantity - await allocated(session, need.id) + batch.quantity
    if quantity > remaining:
        raise Conflict(
            "Need {id} has room for {remaining} units in this batch at most.",
            "Le besoin {id} peut prendre au plus {remaining} unités dans ce lot.",
            id=need.id,
            remaining=remaining,
        )
    before = _contribution(batch)
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
    """Return a batch with its lab and hospital, for its label (lab members only)."""
    batch = await get_batch(session, batch_id)
    lab = await get_site(session, batch.lab_id, "lab")
    await require_member(session, user, lab)
    need = await get_need(session, batch.need_id)
    return batch, lab, await get_site(session, need.hospital_id, "hospital")


async def list_batches(
    session: AsyncSession,
    *,
    lab_id: int | None,
    need_id: int | None,
    state: str | None,
    limit: int,
    offset: int,
    area: Area | None = None,
) -> tuple[list[Batch], int]:
    """Return a page of batches (of needs in ``area``, if given) and the total count."""
    query = select(Batch)
    if area is not None:
        query = query.join(Need, Need.id == Batch.need_id).where(
            area_condition(area, Need.region, Need.departement)
        )
    if lab_id is not None:
        query = query.where(Batch.lab_id == lab_id)
    if need_id is not None:
        query = query.where(Batch.need_id == need_id)
    if state:
        query = query.where(Batch.state == state)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Batch.id).limit(limit).offset(offset))
    return list(rows.all()), int(total or 0)


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
    if counter == "picked_up":
        verb, prior, limit, limit_words = "pick up", "ready", batch.made, "units made"
    else:
        verb, prior, limit, limit_words = "deliver", "picked_up", batch.picked_up, "units on board"
    _require_state(batch, prior, action=verb)
    if quantity > limit:
        raise Invalid(
            "Batch {code} has {limit} {limit_words}; you cannot {verb} {quantity}.",
            "Le lot {code} a {limit} {limit_words_fr} ; impossible de {verb_fr} {quantity}.",
            code=batch.code,
            limit=limit,
            limit_words=limit_words,
            limit_words_fr=CARRY_FR[limit_words],
            verb=verb,
            verb_fr=CARRY_FR[verb],
            quantity=quantity,
        )
    if quantity < getattr(batch, counter):
        raise Conflict(
            "Batch {code} already has {count} {counter}.",
            "Le lot {code} a déjà {count} unités {counter_fr}.",
            code=batch.code,
            count=getattr(batch, counter),
            counter=counter,
            counter_fr=CARRY_FR[counter],
        )
    before = _contribution(batch)
    setattr(batch, counter, quantity)
    batch.state = counter
    await record(
        session,
        batch=batch,
        need=need,
        before=before,
        kind=f"batch.{counter}",
        actor=actor,
        extra=extra,
    )


#: The words of ``carry``'s messages, in French.
CARRY_FR = {
    "units made": "unités fabriquées",
    "units on board": "unités à bord",
    "pick up": "charger",
    "deliver": "livrer",
    "picked_up": "chargées",
    "delivered": "livrées",
}
