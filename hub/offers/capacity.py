"""What a lab can still take on: its offers, less the work it has already promised.

The matcher and a maker's claim answer the same question the same way: offers become
``matching.Offer`` day counts with the lab's promised batches (proposed or claimed, units still
to make, each due its need's date less the lead time), and ``matching.Offer.free_by`` says what
new work fits by a day with every promise still kept, made deadline-first.
"""

from collections import defaultdict
from collections.abc import Collection
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import matching
from hub.batches.models import Batch
from hub.needs.models import Need
from hub.offers.models import Offer
from hub.rules.states import BatchState
from hub.sites.models import Site

# Batches whose units a lab still has to make: they use up its future capacity (a draft too,
# so that a second run before the first is sent never double-books the lab).
PENDING_WORK_STATES = (BatchState.DRAFT, BatchState.PROPOSED, BatchState.CLAIMED)
#: The matcher's planning horizon, in days (SPEC section 3).
HORIZON_DAYS = 28

Promised = dict[tuple[int, str], list[tuple[int, int]]]


def day_number(day: date, today: date) -> int:
    """A date as the matcher's day count from ``today`` (day 0); a past date is day 0."""
    return max(0, (day - today).days)


async def promised_work(
    session: AsyncSession,
    *,
    today: date,
    lead_days: int,
    lab_ids: list[int] | None = None,
    except_batches: Collection[int] = (),
) -> Promised:
    """Per (lab, design), the units still to make for proposed or claimed batches, each with
    the day it must be made by (its need's due day less the lead time, today at the earliest).

    ``except_batches`` leaves out batches about to go (drafts a new matcher run replaces).
    """
    query = (
        select(Batch.lab_id, Batch.design, Need.needed_by, Batch.quantity - Batch.made)
        .join(Need, Need.id == Batch.need_id)
        .where(Batch.state.in_(PENDING_WORK_STATES), Batch.quantity > Batch.made)
    )
    if lab_ids is not None:
        query = query.where(Batch.lab_id.in_(lab_ids))
    if except_batches:
        query = query.where(Batch.id.not_in(except_batches))
    promised: Promised = defaultdict(list)
    for lab_id, design, needed_by, units in await session.execute(query):
        day = max(0, day_number(needed_by, today) - lead_days)
        promised[(lab_id, design)].append((day, int(units)))
    return promised


async def pending_work(
    session: AsyncSession, lab_ids: list[int] | None = None
) -> dict[tuple[int, str], int]:
    """Units each lab still has to make, per design, for batches proposed or claimed."""
    query = (
        select(Batch.lab_id, Batch.design, func.sum(Batch.quantity - Batch.made))
        .where(Batch.state.in_(PENDING_WORK_STATES))
        .group_by(Batch.lab_id, Batch.design)
    )
    if lab_ids is not None:
        query = query.where(Batch.lab_id.in_(lab_ids))
    return {(lab, design): int(units) for lab, design, units in (await session.execute(query))}


def to_matcher(
    offer: Offer, lab: Site, today: date, promised: list[tuple[int, int]]
) -> matching.Offer | None:
    """Convert an offer to day numbers, with the work the lab owes as its promises.

    The matcher then gives new work exactly what the lab has left once it makes its promised
    batches deadline-first (``matching.Offer.free_by``). ``None`` when it makes nothing more.
    """
    first = max(0, (offer.available_from - today).days)
    last = None if offer.available_until is None else (offer.available_until - today).days
    rate = offer.units_per_day
    if last is not None and last < first:
        rate, first, last = 0, 0, 0  # its production days are over: only its stock is left
    if rate == 0 and offer.stock == 0:
        return None
    return matching.Offer(
        lab_id=offer.lab_id,
        design=offer.design,
        lon=lab.lon,
        lat=lab.lat,
        units_per_day=rate,
        first_day=first,
        last_day=last,
        stock=offer.stock,
        promised=tuple(promised),
        land=lab.land,
    )


async def free_by(
    session: AsyncSession, *, lab: Site, design: str, due: date, today: date, lead_days: int = 0
) -> int:
    """Units of ``design`` the lab can still make by ``due`` (less ``lead_days``) for new
    work, every batch it already holds still made in time; 0 without an offer for it.

    A maker's claim counts to the need's own date (``lead_days=0``, as the issue words it:
    "what it declared it can make by the need's date"); the matcher keeps a day for transport.
    """
    offer = await session.scalar(
        select(Offer).where(Offer.lab_id == lab.id, Offer.design == design)
    )
    if offer is None:
        return 0
    promised = await promised_work(session, today=today, lead_days=lead_days, lab_ids=[lab.id])
    converted = to_matcher(offer, lab, today, promised.get((lab.id, design), []))
    if converted is None:
        return 0
    day = day_number(due, today) - lead_days
    # A claim may look past the matcher's four weeks: count production up to its own day.
    horizon = max(HORIZON_DAYS, day + 1)
    return converted.free_by(day, horizon)
