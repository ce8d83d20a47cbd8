"""The dashboard's views of the database: map, bottlenecks and daily output of an area.

Names of sites appear only when ``detailed`` (a coordinator of the area); everyone else sees
aggregates and anonymous points.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dashboards.schemas import (
    Bottlenecks,
    DailyOutput,
    DayOutput,
    DepartementDemand,
    MapView,
    SitePoint,
    StalledBatch,
    UncoveredDepartement,
    UrgentNeed,
)
from hub.area_filter import area_condition
from hub.batches.models import Batch
from hub.events.models import Event
from hub.geo.areas import Area, departement_names, map_projection
from hub.needs.models import Need
from hub.offers.models import Offer
from hub.rules.states import COMMITTED, BatchState, NeedStatus
from hub.sites.models import Site
from hub.timeutil import PARIS, today, zone

URGENT_WITHIN = timedelta(hours=48)
STALLED_AFTER = timedelta(hours=24)
MAX_ROWS = 200
PRIORITY_RANK = {"critical": 0, "high": 1, "normal": 2}


async def _committed_by_need(session: AsyncSession, need_ids: list[int]) -> dict[int, int]:
    if not need_ids:
        return {}
    rows = await session.execute(
        select(Batch.need_id, func.sum(Batch.quantity))
        .where(Batch.need_id.in_(need_ids), Batch.state.in_(COMMITTED))
        .group_by(Batch.need_id)
    )
    return {need_id: int(units or 0) for need_id, units in rows.all()}


async def departement_demand(session: AsyncSession, area: Area) -> list[DepartementDemand]:
    """Return requested, committed, unmet units and lab capacity per département of an area."""
    in_area = area_condition(area, Need.region, Need.departement)
    requested: dict[str, int] = defaultdict(int)
    unmet: dict[str, int] = defaultdict(int)
    claimed: dict[str, int] = defaultdict(int)
    needs = (
        await session.execute(
            select(Need.id, Need.departement, Need.quantity).where(
                in_area, Need.status != NeedStatus.CANCELLED, Need.departement.is_not(None)
            )
        )
    ).all()
    committed = await _committed_by_need(session, [n.id for n in needs])
    for need_id, code, quantity in needs:
        assert code is not None  # filtered in SQL
        done = committed.get(need_id, 0)
        requested[code] += quantity
        claimed[code] += done
        unmet[code] += max(0, quantity - done)
    capacity_rows = await session.execute(
        select(Site.departement, func.sum(Offer.units_per_day))
        .join(Site, Site.id == Offer.lab_id)
        .where(
            area_condition(area, Site.region, Site.departement),
            Site.departement.is_not(None),
            or_(Offer.available_until.is_(None), Offer.available_until >= today()),
        )
        .group_by(Site.departement)
    )
    capacity = {str(code): int(units or 0) for code, units in capacity_rows.all()}
    names = departement_names()
    codes = sorted(requested.keys() | capacity.keys())
    return [
        DepartementDemand(
            code=code,
            name=names.get(code, code),
            requested=requested.get(code, 0),
            claimed=claimed.get(code, 0),
            unmet=unmet.get(code, 0),
            capacity_per_day=capacity.get(code, 0),
        )
        for code in codes
    ]


async def map_view(session: AsyncSession, area: Area, *, detailed: bool) -> MapView:
    """Return the map of an area: demand per département and hospitals and labs as points."""
    projection = map_projection()
    sites = await session.scalars(
        select(Site).where(area_condition(area, Site.region, Site.departement)).order_by(Site.id)
    )
    points = []
    for site in sites:
        x, y = projection.project(site.lon, site.lat)
        # The public map is coarse (a pixel is about a kilometre): some labs are homes.
        digits = 1 if detailed else 0
        points.append(
            SitePoint(
                id=site.id if detailed else None,
                type=site.type,
                x=round(x, digits),
                y=round(y, digits),
                departement=site.departement,
                name=site.name if detailed else None,
            )
        )
    return MapView(
        area=str(area),
        width=projection.width,
        height=projection.height,
        departements=await departement_demand(session, area),
        sites=points,
    )


async def urgent_needs(
    session: AsyncSession, area: Area, *, detailed: bool, now: datetime
) -> list[UrgentNeed]:
    """Needs due within 48 h with units no lab has taken, worst first.

    "Within 48 h" is on each hospital's own clock: the day it will be there 48 h from now.
    """
    until = now + URGENT_WITHIN
    # The database narrows by the latest calendar day anywhere (UTC+14); each hospital's
    # own clock decides below.
    latest = (until.astimezone(UTC) + timedelta(hours=14)).date()
    found = (
        await session.execute(
            select(Need, Site.name, Site.time_zone)
            .join(Site, Site.id == Need.hospital_id)
            .where(
                area_condition(area, Need.region, Need.departement),
                Need.status != NeedStatus.CANCELLED,
                Need.needed_by <= latest,
            )
            .order_by(Need.needed_by, Need.id)
        )
    ).all()
    rows = [
        (need, name)
        for need, name, clock in found
        if need.needed_by <= until.astimezone(zone(clock)).date()
    ]
    committed = await _committed_by_need(session, [need.id for need, _ in rows])
    urgent = [
        UrgentNeed(
            need_id=need.id,
            design=need.design,
            departement=need.departement,
            needed_by=need.needed_by,
            priority=need.priority,
            unmet=need.quantity - committed.get(need.id, 0),
            hospital=name if detailed else None,
        )
        for need, name in rows
        if need.quantity - committed.get(need.id, 0) > 0
    ]
    # Worst first: critical before high before normal, then the earliest, then the largest.
    urgent.sort(key=lambda n: (PRIORITY_RANK[n.priority], n.needed_by, -n.unmet))
    return urgent[:MAX_ROWS]


async def stalled_batches(
    session: AsyncSession, area: Area, *, detailed: bool, now: datetime
) -> list[StalledBatch]:
    """Claimed batches with no progress reported for a day, longest stalled first."""
    last_progress = func.coalesce(Batch.progress_at, Batch.created_at)
    rows = (
        await session.execute(
            select(Batch, Need.departement, Site.name, last_progress)
            .join(Need, Need.id == Batch.need_id)
            .join(Site, Site.id == Batch.lab_id)
            .where(
                area_condition(area, Need.region, Need.departement),
                Batch.state == BatchState.CLAIMED,
                Batch.made < Batch.quantity,
                last_progress < now - STALLED_AFTER,
            )
            .order_by(last_progress)
            .limit(MAX_ROWS)
        )
    ).all()
    return [
        StalledBatch(
            batch_id=batch.id,
            design=batch.design,
            departement=departement,
            made=batch.made,
            quantity=batch.quantity,
            last_progress=since,
            lab=lab if detailed else None,
            code=batch.code if detailed else None,
        )
        for batch, departement, lab, since in rows
    ]


async def bottlenecks(
    session: AsyncSession, area: Area, *, detailed: bool, now: datetime | None = None
) -> Bottlenecks:
    """Return urgent unmet needs, stalled batches, and départements with demand but no labs."""
    now = now or datetime.now(UTC)
    uncovered = [
        UncoveredDepartement(code=d.code, name=d.name, unmet=d.unmet)
        for d in await departement_demand(session, area)
        if d.unmet > 0 and d.capacity_per_day == 0
    ]
    return Bottlenecks(
        area=str(area),
        urgent_needs=await urgent_needs(session, area, detailed=detailed, now=now),
        stalled_batches=await stalled_batches(session, area, detailed=detailed, now=now),
        uncovered=uncovered,
    )


async def daily_output(session: AsyncSession, area: Area, *, days: int = 14) -> DailyOutput:
    """Return units made and delivered per day (Paris time), from the events' totals deltas."""
    first = today() - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=PARIS)
    rows = await session.execute(
        select(Event.at, Event.payload).where(
            area_condition(area, Event.region, Event.departement),
            Event.entity == "batch",
            Event.at >= start,
        )
    )
    made: dict[date, int] = defaultdict(int)
    delivered: dict[date, int] = defaultdict(int)
    for at, payload in rows.all():
        day = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(PARIS).date()
        for counters in (payload or {}).get("totals_delta", {}).values():
            made[day] += counters.get("made", 0)
            delivered[day] += counters.get("delivered", 0)
    return DailyOutput(
        area=str(area),
        days=[
            DayOutput(day=first + timedelta(days=i), made=made[d], delivered=delivered[d])
            for i in range(days)
            for d in [first + timedelta(days=i)]
        ],
    )
