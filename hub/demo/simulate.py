"""Keep the demo moving: labs accept, make and box; drivers carry; hospitals receive.

Each tick picks one batch that can move and moves it one step through the same services the
API uses, so the dashboard sees ordinary events. Now and then a hospital posts a new need and
the coordinator re-runs the matcher.
"""

import asyncio
import logging
import random
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import User
from hub.batches import service as batches
from hub.batches.models import Batch
from hub.batches.records import get_batch
from hub.db import Database, utcnow
from hub.driver_routes.service.stops import receive
from hub.events.models import Event
from hub.events.service import last_event_id
from hub.matching_runs.schemas import RunIn
from hub.matching_runs.service import run_matching
from hub.needs.models import Need
from hub.needs.schemas import NeedIn
from hub.needs.service import create_need, get_need
from hub.rules.states import BatchState
from hub.timeutil import today

log = logging.getLogger("hub.demo")
MOVABLE = (
    BatchState.PROPOSED,
    BatchState.CLAIMED,
    BatchState.READY,
    BatchState.PICKED_UP,
    BatchState.DELIVERED,
)
# How many past days the demo's opening history is spread over.
HISTORY_DAYS = 10


async def _actor(db: Database, email: str) -> User:
    async with db.read_sessions() as session:
        user = await session.scalar(select(User).where(User.email == email, User.email_holder))
    assert user is not None, f"demo account {email} is missing"
    return user


async def step(db: Database, rng: random.Random, admin: User) -> str | None:
    """Move one random batch one step forward; return what happened."""
    async with db.read_sessions() as session:
        ids = list((await session.scalars(select(Batch.id).where(Batch.state.in_(MOVABLE)))).all())
    if not ids:
        return None
    async with db.transaction() as session:
        return await _move(session, rng, admin, rng.choice(ids))


async def _move(
    session: AsyncSession,
    rng: random.Random,
    admin: User,
    batch_id: int,
    decline_share: float = 0.15,
    stride: float = 1 / 3,
) -> str:
    """Move one batch one step along its life cycle."""
    batch = await get_batch(session, batch_id)
    if batch.state == BatchState.PROPOSED:
        if rng.random() >= decline_share:
            await batches.accept(session, user=admin, batch_id=batch_id)
            return f"batch {batch.code} accepted"
        await batches.decline(session, user=admin, batch_id=batch_id)
        return f"batch {batch.code} declined"
    if batch.state == BatchState.CLAIMED:
        if batch.made < batch.quantity:
            made = min(
                batch.quantity, batch.made + rng.randint(1, int(batch.quantity * stride) + 1)
            )
            await batches.report_progress(session, user=admin, batch_id=batch_id, made=made)
            return f"batch {batch.code}: {made}/{batch.quantity} made"
        await batches.mark_ready(session, user=admin, batch_id=batch_id)
        return f"batch {batch.code} ready"
    need = await get_need(session, batch.need_id, lock=True)
    batch = await get_batch(session, batch_id, lock=True)
    if batch.state == BatchState.READY:
        await batches.carry(
            session, batch=batch, need=need, counter="picked_up", quantity=batch.made, actor=admin
        )
        return f"batch {batch.code} picked up"
    if batch.state == BatchState.PICKED_UP:
        await batches.carry(
            session,
            batch=batch,
            need=need,
            counter="delivered",
            quantity=batch.picked_up,
            actor=admin,
        )
        return f"batch {batch.code} delivered"
    rejected = rng.choice([0, 0, 0, 1, 2]) if batch.delivered > 2 else 0
    # As the API does: a driver's stops for this batch close with the receipt.
    await receive(
        session,
        user=admin,
        batch_id=batch_id,
        accepted=batch.delivered - rejected,
        rejected=rejected,
        reason="visière fendue" if rejected else None,
    )
    return f"batch {batch.code} received"


async def warm_up(db: Database, *, seed: int = 2020) -> int:
    """Give the fresh scenario a few days of history: most proposals accepted, some made,
    boxed, carried and received. Returns how many batches moved."""
    rng = random.Random(seed)
    admin = await _actor(db, "admin@demo.hub")
    async with db.read_sessions() as session:
        ids = list(
            (
                await session.scalars(select(Batch.id).where(Batch.state == BatchState.PROPOSED))
            ).all()
        )
    # How far each batch gets: (probability, steps), from "still a proposal" to "received".
    # One transaction: the history appears at once, and SQLite syncs to disk once.
    async with db.transaction() as session:
        first_event = await last_event_id(session) + 1
        for batch_id in ids:
            steps = rng.choices([0, 1, 2, 3, 4, 5, 6], weights=[10, 20, 25, 15, 10, 10, 10])[0]
            for _ in range(steps):
                if (await get_batch(session, batch_id)).state not in MOVABLE:
                    break
                await _move(session, rng, admin, batch_id, decline_share=0.05, stride=2.0)
        await _spread_over_past_days(session, first_event, days=HISTORY_DAYS)
    return len(ids)


async def _spread_over_past_days(session: AsyncSession, first_event: int, *, days: int) -> None:
    """Date the warm-up's events over the past days, in order, so the daily chart has a past.

    Demo data only: a real hub never rewrites its log.
    """
    ids = list((await session.scalars(select(Event.id).where(Event.id >= first_event))).all())
    if not ids:
        return
    now = utcnow()
    span = timedelta(days=days).total_seconds()
    for k, event_id in enumerate(ids):
        at = now - timedelta(seconds=span * (1 - k / len(ids)))
        await session.execute(update(Event).where(Event.id == event_id).values(at=at))


async def new_need(db: Database, rng: random.Random, admin: User) -> str:
    """A hospital that already asked asks again, for a few days from now."""
    async with db.read_sessions() as session:
        hospitals = list((await session.scalars(select(Need.hospital_id).distinct())).all())
        designs = list((await session.scalars(select(Need.design).distinct())).all())
    data = NeedIn(
        hospital_id=rng.choice(hospitals),
        design=rng.choice(designs),
        quantity=rng.choice([20, 50, 100, 200, 500]),
        needed_by=today() + timedelta(days=rng.randint(2, 14)),
        priority=rng.choice(["critical", "high", "high", "normal", "normal", "normal"]),
    )
    async with db.transaction() as session:
        need = (await create_need(session, user=admin, data=data)).need
    return f"new need {need.id}: {need.quantity} × {need.design}"


async def run(db: Database, *, interval: float = 1.0, seed: int = 2020) -> None:
    """Move the demo forever, one step every ``interval`` seconds."""
    rng = random.Random(seed)
    admin = await _actor(db, "admin@demo.hub")
    coordinator = await _actor(db, "coordinateur@demo.hub")
    tick = 0
    while True:
        await asyncio.sleep(interval)
        tick += 1
        try:
            if tick % 30 == 0:
                log.info(await new_need(db, rng, admin))
            elif tick % 45 == 0:
                result = await run_matching(
                    db, user=coordinator, params=RunIn(send=True), today=today()
                )
                log.info("matching run %s: %d proposals", result.id, len(result.assignments))
            else:
                happened = await step(db, rng, admin)
                if happened:
                    log.info(happened)
        except Exception:  # the demo must keep moving whatever one step hits
            log.exception("demo step failed")
