"""Running the matcher on the hub's data and storing its proposals as batches.

Inputs are read in a read transaction and solved outside any lock (a national run takes
seconds); the proposals are then written in one transaction that re-checks each need's
remaining quantity under its row lock, so a claim made meanwhile is never double-booked.

A run's proposals are drafts: only coordinators see them, adjust their quantity or cancel
them, until a coordinator sends them to the labs (:func:`send_run`, draft → proposed, one
``batch.proposed`` event each). A draft holds its units against the need and the lab's
capacity like a proposal does, so that neither a claim nor a second run takes them meanwhile.

A new run replaces the unsent drafts of its area (:func:`stale_drafts`): see there why.
"""

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import matching
from hub.access import covers_area, require_role
from hub.area_filter import area_condition, coordinator_area
from hub.auth.models import User
from hub.batches.models import Batch
from hub.batches.records import lock_batch, new_batch, record, require_action
from hub.batches.service import cancel_batch_row
from hub.db import Database
from hub.errors import Conflict, Forbidden, NotFound
from hub.events import service as events
from hub.geo.areas import Area, parse_area
from hub.i18n import _
from hub.matching_runs.models import MatchingRun
from hub.matching_runs.schemas import (
    AssignmentOut,
    ProposalOut,
    RunIn,
    RunOut,
    RunProposals,
    SiteName,
)
from hub.needs.models import Need
from hub.needs.service import allocated_many
from hub.offers.capacity import day_number, pending_work, promised_work, to_matcher
from hub.offers.models import Offer
from hub.ops.metrics import MATCHER, timed
from hub.rules.states import (
    CLOSED_NEEDS,
    INACTIVE,
    BatchAction,
    BatchState,
    NeedStatus,
    Role,
    SiteStatus,
)
from hub.sites.models import Site

# A run whose labs took on work while it solved starts over (claims win), this many times.
RUN_ATTEMPTS = 3


@dataclass(frozen=True)
class Inputs:
    """What the matcher sees, already converted to its dataclasses."""

    needs: list[matching.Need]
    offers: list[matching.Offer]
    # Units promised per (lab, design) when the inputs were read: checked again at store time.
    work: dict[tuple[int, str], int]
    # The unsent drafts of the area the run replaces, as they were when the inputs were read.
    stale: frozenset[int] = frozenset()


async def stale_drafts(session: AsyncSession, area: Area) -> list[tuple[int, int]]:
    """The unsent drafts (batch id, need id) of earlier runs for needs in ``area``, which a new
    run of the area replaces.

    Why replace rather than let drafts expire: a run plans every open need of its area from
    what is true now, so the drafts an earlier run left there are stale by construction, and
    while they wait they hold their needs' units and their labs' capacity against claims and
    runs. Replacing them in the run's own transaction frees those units for the new plan at
    once (nothing is booked twice: the needs are locked, then the drafts cancelled, then the
    new proposals written within what the needs still have room for), needs no clock, no
    delay to choose and no sweeper on every replica, and leaves each draft's end in the
    audit trail (``batch.cancelled``, reason ``superseded``, with the replacing run). An expiry
    would still hold the units for its whole delay. The cost: a coordinator reviewing drafts
    while another runs the matcher over the same area loses that review, and sees the newer
    run's drafts instead. Drafts of needs outside the area (a national run's, say) stay.
    """
    rows = await session.execute(
        select(Batch.id, Batch.need_id)
        .join(Need, Need.id == Batch.need_id)
        .where(
            Batch.state == BatchState.DRAFT,
            area_condition(area, Need.region, Need.departement),
        )
        .order_by(Batch.id)
    )
    return [(batch_id, need_id) for batch_id, need_id in rows.all()]


async def load_inputs(session: AsyncSession, *, area: Area, today: date, lead_days: int) -> Inputs:
    """Open needs of verified hospitals in the area, and offers of verified labs with the work
    they already owe, as if the area's unsent drafts (which the run replaces) were gone."""
    stale = frozenset(batch_id for batch_id, _ in await stale_drafts(session, area))
    held = (
        select(Batch.need_id, func.sum(Batch.quantity).label("held"))
        .where(Batch.state.not_in(INACTIVE), Batch.id.not_in(sorted(stale)))
        .group_by(Batch.need_id)
        .subquery()
    )
    rows = await session.execute(
        select(Need, Site, func.coalesce(held.c.held, 0))
        .join(Site, Site.id == Need.hospital_id)
        .outerjoin(held, held.c.need_id == Need.id)
        .where(
            Site.status == SiteStatus.VERIFIED,
            Need.status.not_in(CLOSED_NEEDS),
            area_condition(area, Need.region, Need.departement),
        )
    )
    needs = [
        matching.Need(
            id=need.id,
            design=need.design,
            lon=site.lon,
            lat=site.lat,
            quantity=need.quantity - int(taken),
            due_day=day_number(need.needed_by, today),
            priority=need.priority,
            land=site.land,
        )
        for need, site, taken in rows.all()
        if need.quantity - int(taken) > 0
    ]
    promised = await promised_work(session, today=today, lead_days=lead_days, except_batches=stale)
    offer_rows = await session.execute(
        select(Offer, Site)
        .join(Site, Site.id == Offer.lab_id)
        .where(Site.status == SiteStatus.VERIFIED)
    )
    offers = []
    for offer, lab in offer_rows.all():
        converted = to_matcher(offer, lab, today, promised.get((offer.lab_id, offer.design), []))
        if converted is not None:
            offers.append(converted)
    work = {key: sum(units for _, units in days) for key, days in promised.items()}
    return Inputs(needs=needs, offers=offers, work=work, stale=stale)


class CapacityChanged(Conflict):
    """A lab took on work while the matcher was solving; its plan may over-book it."""

    def __init__(self) -> None:
        super().__init__(_("Labs took on work while the matcher ran; run it again."))


async def run_matching(
    db: Database,
    *,
    user: User,
    params: RunIn,
    today: date,
    sea_crossing_km: float | None = None,
) -> RunOut:
    """Match the area's open needs to verified labs and store proposals; return the run.

    Labs serve needs on their own landmass only, unless ``sea_crossing_km`` (the setting
    HUB_ALLOW_SEA_CROSSINGS) prices a crossing.
    """
    area = coordinator_area(user, params.area)
    started = time.perf_counter()
    for attempt in range(RUN_ATTEMPTS):
        async with db.read_sessions() as session:
            inputs = await load_inputs(session, area=area, today=today, lead_days=params.lead_days)
        try:
            with timed(MATCHER):
                result = await asyncio.to_thread(
                    matching.match,
                    inputs.needs,
                    inputs.offers,
                    max_distance_km=params.max_distance_km,
                    lead_days=params.lead_days,
                    horizon_days=params.horizon_days,
                    sea_crossing_km=sea_crossing_km,
                )
        except matching.TooLarge as exc:
            # Inputs are validated on the way in (a million units per need at most), so only
            # a huge area can get here; anything else the matcher refuses is a bug, a 500.
            raise Conflict(
                _(
                    "This area needs {needed} units of {design} and its labs make {made}: too many "
                    "to match exactly at once. Run the matcher on a smaller area."
                ),
                needed=exc.needed,
                made=exc.made,
                design=exc.design,
            ) from exc
        try:
            async with db.transaction() as session:
                return await store_run(
                    session,
                    user=user,
                    area=area,
                    params=params,
                    inputs=inputs,
                    result=result,
                    started=started,
                )
        except CapacityChanged:
            if attempt == RUN_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def _lock_needs(session: AsyncSession, ids: list[int]) -> dict[int, Need]:
    """Lock the needs, in id order so that concurrent runs cannot deadlock."""
    rows = await session.scalars(
        select(Need)
        .where(Need.id.in_(ids))
        .order_by(Need.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {n.id: n for n in rows.all()}


async def _check_capacity(
    session: AsyncSession, inputs: Inputs, result: matching.MatchResult
) -> None:
    """Lock the labs the run uses and raise :class:`CapacityChanged` if any took on work since
    their capacity was read (claims lock their lab too). Less work (progress) is harmless."""
    lab_ids = sorted({int(a.lab_id) for a in result.assignments})  # type: ignore[call-overload]
    await session.execute(
        select(Site.id).where(Site.id.in_(lab_ids)).order_by(Site.id).with_for_update()
    )
    now_work = await pending_work(session, lab_ids)
    if any(units > inputs.work.get(key, 0) for key, units in now_work.items()):
        raise CapacityChanged


def _proposals(
    run: MatchingRun,
    needs: dict[int, Need],
    held: dict[int, int],
    by_need: dict[int, list[matching.Assignment]],
    unmet: dict[int, int],
    state: BatchState,
) -> list[tuple[Batch, matching.Assignment]]:
    """New proposals (drafts, or sent at once) within what each locked need still has room for.

    A claim made while the matcher solved wins: what no longer fits is added to ``unmet``.
    """
    planned: list[tuple[Batch, matching.Assignment]] = []
    for need_id in sorted(by_need):
        need = needs[need_id]
        room = need.quantity - held.get(need_id, 0) if need.status != NeedStatus.CANCELLED else 0
        for a in sorted(by_need[need_id], key=lambda a: a.distance_km):
            quantity = min(a.quantity, room)
            if quantity < a.quantity:
                unmet[need_id] = unmet.get(need_id, 0) + a.quantity - quantity
            if quantity <= 0:
                continue
            room -= quantity
            batch = new_batch(
                need=need,
                lab_id=int(a.lab_id),  # type: ignore[call-overload]
                quantity=quantity,
                design=a.design,
                state=state,
                distance_km=round(a.distance_km, 3),
                run_id=run.id,
            )
            planned.append((batch, a))
    return planned


def _summarise(
    run: MatchingRun,
    planned: list[tuple[Batch, matching.Assignment]],
    unmet: dict[int, int],
    started: float,
) -> list[AssignmentOut]:
    """The stored proposals as the API shows them; the run gets its totals and duration."""
    out = [
        AssignmentOut(
            batch_id=batch.id,
            need_id=batch.need_id,
            lab_id=batch.lab_id,
            design=batch.design,
            quantity=batch.quantity,
            distance_km=batch.distance_km or 0.0,
            ready_by_day=a.ready_by_day,
        )
        for batch, a in planned
    ]
    run.assigned_units = sum(a.quantity for a in out)
    run.unmet_units = sum(unmet.values())
    run.unit_km = round(sum(a.quantity * a.distance_km for a in out), 3)
    run.unmet = {str(k): v for k, v in unmet.items()}
    run.seconds = round(time.perf_counter() - started, 3)
    return out


async def _log_run(
    session: AsyncSession,
    *,
    run: MatchingRun,
    user: User,
    area: Area,
    proposals: int,
    sent: bool,
    superseded: int,
) -> None:
    """One event for the whole run: proposals change no totals and no need status."""
    await events.append(
        session,
        kind="matching.run",
        entity="matching_run",
        entity_id=run.id,
        actor_id=user.id,
        region=area.code if area.kind == "region" else None,
        departement=area.code if area.kind == "departement" else None,
        payload={
            "run_id": run.id,
            "area": run.area,
            "assigned_units": run.assigned_units,
            "unmet_units": run.unmet_units,
            "unit_km": run.unit_km,
            "proposals": proposals,
            "sent": sent,
            "superseded": superseded,
        },
    )


async def _replace(
    session: AsyncSession,
    *,
    run: MatchingRun,
    user: User,
    stale: list[tuple[int, int]],
    needs: dict[int, Need],
) -> list[Batch]:
    """Cancel the stale drafts (their needs locked by the caller), each with its event, and
    return them, for the caller to delete once the new proposals are written (a SQLite row id
    is taken again when the highest one is deleted first: new ids, never an old draft's). One
    sent or removed since it was read is left as it is."""
    replaced = []
    for batch_id, need_id in stale:
        batch = await session.scalar(
            select(Batch)
            .where(Batch.id == batch_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if batch is None or batch.state != BatchState.DRAFT:
            continue  # sent, or removed by its reviewer, since the list was read
        await cancel_batch_row(
            session,
            batch=batch,
            need=needs[need_id],
            actor=user,
            reason="superseded",
            extra={"run_id": batch.run_id, "superseded_by": run.id},
            discard=False,
        )
        replaced.append(batch)
    return replaced


async def store_run(
    session: AsyncSession,
    *,
    user: User,
    area: Area,
    params: RunIn,
    inputs: Inputs,
    result: matching.MatchResult,
    started: float,
) -> RunOut:
    """Write the run and its proposals in one transaction."""
    run = MatchingRun(
        created_by=user.id,
        area=str(area),
        max_distance_km=params.max_distance_km,
        lead_days=params.lead_days,
        horizon_days=params.horizon_days,
        needs_considered=len(inputs.needs),
        offers_considered=len(inputs.offers),
    )
    session.add(run)
    await session.flush()
    by_need: dict[int, list[matching.Assignment]] = defaultdict(list)
    for assignment in result.assignments:
        by_need[int(assignment.need_id)].append(assignment)  # type: ignore[call-overload]
    unmet = {int(k): int(v) for k, v in result.unmet.items()}  # type: ignore[call-overload]
    # Lock every need that gets a proposal or loses a stale draft (read again: another run may
    # have stored drafts since), replace those drafts, then re-check what each need still has
    # room for.
    stale = await stale_drafts(session, area)
    needs = await _lock_needs(session, sorted(set(by_need) | {need_id for _, need_id in stale}))
    replaced = await _replace(session, run=run, user=user, stale=stale, needs=needs)
    held = await allocated_many(session, sorted(by_need))
    await _check_capacity(session, inputs, result)
    state = BatchState.PROPOSED if params.send else BatchState.DRAFT
    planned = _proposals(run, needs, held, by_need, unmet, state)
    # Batches carry run_id: one insert, and accepting one emits its own event.
    session.add_all([batch for batch, _ in planned])
    await session.flush()
    # Discarded as a reviewer's removal is: no lab ever saw them; their events stay.
    for batch in replaced:
        await session.delete(batch)
    await session.flush()
    superseded = len(replaced)
    out = _summarise(run, planned, unmet, started)
    await _log_run(
        session,
        run=run,
        user=user,
        area=area,
        proposals=len(out),
        sent=params.send,
        superseded=superseded,
    )
    return RunOut(
        id=run.id,
        area=run.area,
        sent=params.send,
        superseded=superseded,
        assignments=out,
        unmet=unmet,
        unit_km=run.unit_km,
        needs_considered=run.needs_considered,
        offers_considered=run.offers_considered,
        seconds=run.seconds,
        created_at=run.created_at,
    )


async def get_run(session: AsyncSession, *, user: User, run_id: int) -> MatchingRun:
    """A stored run, for a coordinator whose area covers the run's (404 if unknown, 403 if
    another area's)."""
    require_role(user, Role.COORDINATOR)
    run = await session.get(MatchingRun, run_id)
    if run is None:
        raise NotFound(_("There is no matching run with id {id}."), id=run_id)
    area = parse_area(run.area)
    if not covers_area(user, area):
        raise Forbidden(
            _("Matching run {id} was for {area}, outside your area ({own})."),
            id=run.id,
            area=str(area),
            own=user.area,
        )
    return run


async def proposals(session: AsyncSession, *, user: User, run_id: int) -> RunProposals:
    """A run's proposals with their hospital and lab, for the coordinators of its area."""
    run = await get_run(session, user=user, run_id=run_id)
    hospital = Site.__table__.alias("hospital")
    lab = Site.__table__.alias("lab")
    rows = await session.execute(
        select(Batch, Need, hospital.c.name, lab.c.name)
        .join(Need, Need.id == Batch.need_id)
        .join(hospital, hospital.c.id == Need.hospital_id)
        .join(lab, lab.c.id == Batch.lab_id)
        .where(Batch.run_id == run.id)
        .order_by(Batch.id)
    )
    items = [
        ProposalOut(
            batch_id=batch.id,
            code=batch.code,
            state=batch.state,
            need_id=need.id,
            design=batch.design,
            quantity=batch.quantity,
            made=batch.made,
            due=batch.due,
            distance_km=batch.distance_km,
            need_quantity=need.quantity,
            priority=need.priority,
            hospital=SiteName(id=need.hospital_id, name=hospital_name),
            lab=SiteName(id=batch.lab_id, name=lab_name),
        )
        for batch, need, hospital_name, lab_name in rows.all()
    ]
    # Drafts first (what is left to review), each group in the run's order.
    items.sort(key=lambda p: p.state != BatchState.DRAFT)
    drafts = sum(1 for p in items if p.state == BatchState.DRAFT)
    return RunProposals(
        run_id=run.id, area=run.area, created_at=run.created_at, drafts=drafts, items=items
    )


async def send_run(session: AsyncSession, *, user: User, run_id: int) -> RunProposals:
    """Send a run's remaining drafts to their labs (draft → proposed), one event each.

    Drafts the coordinator cancelled stay cancelled; a draft whose lab was suspended or whose
    need was cancelled meanwhile was cancelled with it. Sending twice sends nothing more.
    """
    run = await get_run(session, user=user, run_id=run_id)
    ids = await session.execute(
        select(Batch.id, Batch.need_id)
        .where(Batch.run_id == run.id, Batch.state == BatchState.DRAFT)
        .order_by(Batch.need_id, Batch.id)
    )
    # Need by need, in id order: the lock order every writer follows (need, then batch).
    for batch_id, _need_id in ids.all():
        batch, need = await lock_batch(session, batch_id)
        if batch.state != BatchState.DRAFT:
            continue  # cancelled by another transaction since the list was read
        require_action(batch, BatchAction.SEND)
        batch.state = BatchState.PROPOSED
        await record(
            session,
            batch=batch,
            need=need,
            before={batch.design: {}},
            kind="batch.proposed",
            actor=user,
            extra={"run_id": run.id},
        )
    return await proposals(session, user=user, run_id=run.id)
