"""Actions on a need or a site that reach their batches: cancelling a need, suspending a site.

They live with the batches, the later domain, so that the needs and sites services never
reach up to the batches (services only call the services of earlier domains).
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import require_coordinator_of
from hub.auth.models import User
from hub.batches.models import Batch
from hub.batches.service import cancel_batch_row
from hub.driver_routes.models import RouteStop
from hub.events import service as events
from hub.needs.models import Need
from hub.needs.service import get_need, mark_cancelled, require_can_cancel
from hub.rules.states import AT_LAB, SiteStatus, SiteType
from hub.sites.models import Site
from hub.sites.service import get_site


async def _lock_at_lab(session: AsyncSession, condition: Any) -> list[Batch]:
    """Lock the batches still at their labs that match ``condition``, in id order."""
    rows = await session.scalars(
        select(Batch)
        .where(condition, Batch.state.in_(AT_LAB))
        .order_by(Batch.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def cancel_need(session: AsyncSession, *, user: User, need_id: int) -> Need:
    """Cancel a need and, first, its batches still at their labs (409 if one is promised to a
    driver: the driver gives the route back first)."""
    need = await get_need(session, need_id, lock=True)
    await require_can_cancel(session, user=user, need=need)
    for batch in await _lock_at_lab(session, Batch.need_id == need.id):
        await cancel_batch_row(session, batch=batch, need=need, actor=user, reason="need cancelled")
    await mark_cancelled(session, user=user, need=need)
    return need


async def suspend_site(
    session: AsyncSession, *, user: User, site_id: int, type: SiteType, reason: str
) -> tuple[Site, list[int]]:
    """A coordinator of the area suspends a site; its work still at the labs goes back to the
    pool (cancelled batches, each with its event), and a verification lifts it.

    For a lab, its batches; for a hospital, the batches of its needs. Batches a driver has
    reserved are left to the driver (the goods may be in the car). Returns the site and the
    ids of the batches cancelled.
    """
    site = await get_site(session, site_id, type, lock=True)
    require_coordinator_of(user, site.region, site.departement)
    if site.type == SiteType.LAB:
        condition = Batch.lab_id == site.id
    else:
        condition = Batch.need_id.in_(select(Need.id).where(Need.hospital_id == site.id))
    reserved = select(RouteStop.open_batch_id).where(RouteStop.open_batch_id.is_not(None))
    held = await session.scalars(
        select(Batch.need_id).where(condition, Batch.state.in_(AT_LAB)).distinct()
    )
    # Lock order: needs first, then batches, as every batch writer does.
    needs = {n.id: n for n in [await get_need(session, i, lock=True) for i in sorted(held)]}
    cancelled = []
    for batch in await _lock_at_lab(session, condition & Batch.id.not_in(reserved)):
        need = needs[batch.need_id]
        why = f"{site.type} suspended"
        await cancel_batch_row(session, batch=batch, need=need, actor=user, reason=why)
        cancelled.append(batch.id)
    site.status = SiteStatus.SUSPENDED
    await events.append(
        session,
        kind=f"{site.type}.suspended",
        entity=site.type,
        entity_id=site.id,
        actor_id=user.id,
        region=site.region,
        departement=site.departement,
        payload={"reason": reason, "batch_ids": cancelled},
    )
    return site, cancelled
