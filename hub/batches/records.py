"""How a batch change is written down: the row, its state check, and its event with the delta.

Every batch action locks the rows it checks (``FOR UPDATE`` on PostgreSQL; SQLite holds the
database write lock since ``BEGIN IMMEDIATE``), changes them, and calls :func:`record`, which
refreshes the need's status and appends the event with the change's effect on the totals, all
in the caller's transaction.
"""

import secrets
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import User
from hub.batches.models import Batch
from hub.db import by_id, utcnow, writers_take_turns
from hub.errors import Conflict, NotFound
from hub.events import service as events
from hub.i18n import N_, Message, _, codes
from hub.needs.models import Need
from hub.needs.service import allocated, get_need, refresh_status
from hub.rules.states import TRANSITIONS, BatchAction, BatchState, allowed
from hub.rules.totals import Totals, batch_contribution, subtract

# No 0/O, 1/I/L: codes are read off box labels and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

#: What a person is told when an action does not fit the batch's state.
REFUSED: dict[BatchAction, Message] = {
    BatchAction.ACCEPT: _(
        "Cannot accept batch {code}: it is {state} (only possible when {allowed})."
    ),
    BatchAction.DECLINE: _(
        "Cannot decline batch {code}: it is {state} (only possible when {allowed})."
    ),
    BatchAction.REPORT_PROGRESS: _(
        "Cannot report progress on batch {code}: it is {state} (only possible when {allowed})."
    ),
    BatchAction.CORRECT: _(
        "Cannot correct batch {code}: it is {state} (only possible when {allowed})."
    ),
    BatchAction.MARK_READY: _(
        "Cannot mark batch {code} ready: it is {state} (only possible when {allowed})."
    ),
    BatchAction.PICK_UP: _(
        "Cannot pick up batch {code}: it is {state} (only possible when {allowed})."
    ),
    BatchAction.DELIVER: _(
        "Cannot deliver batch {code}: it is {state} (only possible when {allowed})."
    ),
    BatchAction.RECEIVE: _(
        "Cannot confirm receipt of batch {code}: it is {state} (only possible when {allowed})."
    ),
    BatchAction.CANCEL: _(
        "Cannot cancel batch {code}: it is {state} (only possible when {allowed})."
    ),
    BatchAction.ADJUST: _(
        "Cannot adjust batch {code}: it is {state} (only possible when {allowed})."
    ),
    BatchAction.SEND: _(
        "Cannot send batch {code} to its lab: it is {state} (only possible when {allowed})."
    ),
}


def new_code() -> str:
    """Return a fresh tracking code such as ``K7Q-2MXD``."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))
    return f"{chars[:3]}-{chars[3:]}"


def require_action(batch: Batch, action: BatchAction) -> None:
    """Raise 409 unless ``action`` may be done to the batch in its state (``TRANSITIONS``)."""
    if not allowed(action, batch.state):
        raise Conflict(
            REFUSED[action],
            code=batch.code,
            state=BatchState(batch.state),
            allowed=codes(TRANSITIONS[action].sources),
        )


def need_cancelled(need: Need) -> Conflict:
    """The 409 for work on a cancelled need."""
    return Conflict(_("Need {id} was cancelled."), id=need.id)


def contribution(batch: Batch) -> Totals:
    """What the batch adds to the totals now."""
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
    before: Totals,
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
        totals_delta=subtract(contribution(batch), before),
    )


def new_batch(
    *,
    need: Need,
    lab_id: int,
    quantity: int,
    design: str,
    state: BatchState,
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
    state: BatchState,
    actor: User | None,
    distance_km: float | None = None,
    run_id: int | None = None,
) -> Batch:
    """Insert a batch for a need the caller has locked, after checking what remains."""
    remaining = need.quantity - await allocated(session, need.id)
    if quantity > remaining:
        raise Conflict(
            N_(
                "Only {left} unit of need {id} remains unclaimed; you asked for {quantity}.",
                "Only {left} units of need {id} remain unclaimed; you asked for {quantity}.",
                "left",
            ),
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
        before={design: {}},
        kind=f"batch.{state}",
        actor=actor,
    )
    return batch


async def get_batch(session: AsyncSession, batch_id: int, *, lock: bool = False) -> Batch:
    """Return a batch or raise 404."""
    batch = await session.scalar(by_id(Batch, lock=lock), {"id": batch_id})
    if batch is None:
        raise _no_batch(batch_id)
    return batch


def _no_batch(batch_id: int) -> NotFound:
    return NotFound(_("There is no batch with id {id}."), id=batch_id)


#: A batch and its need in one statement, where writers take turns (lock_batch says why);
#: refreshed like ``by_id(lock=True)``, so rows a session kept from an earlier transaction are
#: read again, not reused.
_BATCH_AND_NEED = (
    select(Batch, Need)
    .join(Need, Need.id == Batch.need_id)
    .where(Batch.id == bindparam("id"))
    .execution_options(populate_existing=True)
)


async def lock_batch(session: AsyncSession, batch_id: int) -> tuple[Batch, Need]:
    """Lock a batch and its need, need first: the one lock order every writer follows."""
    if writers_take_turns(session):
        # The transaction holds the database's write lock since its first statement: nothing
        # can change the batch or its need, so both are read once, together (a statement
        # fewer on every batch action; each costs more CPU than SQLite's work on it).
        row = (await session.execute(_BATCH_AND_NEED, {"id": batch_id})).first()
        if row is None:
            raise _no_batch(batch_id)
        return row[0], row[1]
    batch = await get_batch(session, batch_id)
    need = await get_need(session, batch.need_id, lock=True)
    return await get_batch(session, batch_id, lock=True), need
