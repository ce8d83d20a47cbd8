"""Totals per design, recounted from the database."""

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.area_filter import area_condition
from hub.batches.models import Batch
from hub.geo.areas import Area
from hub.needs.models import Need
from hub.rules.states import AWAITING_PICKUP, COMMITTED, NeedStatus
from hub.rules.totals import COUNTERS, Totals


async def totals(session: AsyncSession, area: Area | None) -> Totals:
    """Return ``{design: {counter: units}}`` for an area; mirrors ``hub.rules.totals``."""
    out: Totals = {}
    in_area = area_condition(area, Need.region, Need.departement)
    requested = await session.execute(
        select(Need.design, func.sum(Need.quantity))
        .where(in_area, Need.status != NeedStatus.CANCELLED)
        .group_by(Need.design)
    )
    for design, units in requested.all():
        out.setdefault(design, dict.fromkeys(COUNTERS, 0))["requested"] = int(units)
    committed = Batch.state.in_(COMMITTED)
    waiting = Batch.state.in_(AWAITING_PICKUP)
    rows = await session.execute(
        select(
            Batch.design,
            func.sum(Batch.quantity),
            func.sum(Batch.made),
            func.sum(case((waiting, Batch.made - Batch.picked_up), else_=0)),
            func.sum(Batch.picked_up),
            func.sum(Batch.delivered),
            func.sum(Batch.accepted),
            func.sum(Batch.rejected),
        )
        .join(Need, Need.id == Batch.need_id)
        .where(in_area, committed)
        .group_by(Batch.design)
    )
    for design, *values in rows.all():
        row = out.setdefault(design, dict.fromkeys(COUNTERS, 0))
        for counter, value in zip(COUNTERS[1:], values, strict=True):
            row[counter] = int(value or 0)
    return out
