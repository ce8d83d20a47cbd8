"""Reading needs as the API shows them: their progress summed over batches, pages of needs,
and the rendering of a need with its hospital.

Listings read columns into rows and build plain dicts that the response models validate
once, in pydantic's compiled core. Timed step by step in-process on 2026-12-01 (50 needs a
page), a listing spent 2.4 ms counting and loading needs as ORM entities, 1.9 ms summing
their batches and building ``Progress`` models from Python, 1.1 ms building the other three
models a need (``NeedOut``, ``HospitalRef``, ``Stages``) and 0.3 ms writing JSON. Counted
with callgrind (``GET /needs`` in-process, client included): 27.8 M instructions a request
before, 23.8 M with rows and dicts, 22.4 M with one statement built once (``_page``), 18.9 M
with rows read by key (``_body`` says why).
"""

from collections.abc import Iterable, Mapping
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    RowMapping,
    Select,
    SQLColumnExpression,
    bindparam,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hub.batches.models import Batch
from hub.db import column_rows, first_statement_rows
from hub.geo.areas import Area
from hub.geodesy import bounding_box, haversine_km
from hub.needs.models import Need
from hub.needs.schemas import NeedOut
from hub.rules.states import (
    AWAITING_PICKUP,
    COMMITTED,
    INACTIVE,
    PROPOSALS,
    BatchState,
    NeedStatus,
    SiteStatus,
)
from hub.sites.models import Site

#: Batches that left the claimed state for good but not yet received (hub.rules.totals).
_ON_THE_ROAD = (BatchState.READY, BatchState.PICKED_UP, BatchState.DELIVERED)


#: Written into the SQL too, for the same reason.
_ZERO: ColumnElement[int] = literal_column("0", Integer)


def _is_one_of(states: Iterable[BatchState]) -> ColumnElement[bool]:
    """``batches.state IN ('claimed', ...)`` with the states written into the SQL (the hub's
    own constants, never input). A bound list is rendered into the statement's text again at
    every execution (SQLAlchemy's post-compile step): with 40 such values and 28 bound zeros,
    a progress report's sums cost 1.0 M instructions more (10.2 against 9.2 M, callgrind,
    2026-12-02), and so did a page of needs."""
    return Batch.state.in_([literal_column(f"'{state.value}'") for state in states])


def _progress_statement() -> Select[*tuple[Any, ...]]:
    committed = _is_one_of(COMMITTED)

    def total(
        name: str,
        value: SQLColumnExpression[int],
        condition: ColumnElement[bool] = committed,
    ) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, value), else_=_ZERO)), _ZERO).label(name)

    return select(
        Batch.need_id,
        total("proposed", Batch.quantity, _is_one_of(PROPOSALS)),
        total("claimed", Batch.quantity),
        total("made", Batch.made),
        total("ready", Batch.made - Batch.picked_up, _is_one_of(AWAITING_PICKUP)),
        total("picked_up", Batch.picked_up),
        total("delivered", Batch.delivered),
        total("accepted", Batch.accepted),
        total("rejected", Batch.rejected),
        # The stages, as hub.rules.totals.batch_stages splits each batch.
        total("being_made", Batch.quantity, _is_one_of([BatchState.CLAIMED])),
        total("at_lab", Batch.quantity - Batch.picked_up, _is_one_of(_ON_THE_ROAD)),
        total("on_the_way", Batch.picked_up - Batch.delivered, _is_one_of(_ON_THE_ROAD)),
        total("dropped", Batch.delivered, _is_one_of(_ON_THE_ROAD)),
        total("received", Batch.quantity, _is_one_of([BatchState.RECEIVED])),
    ).group_by(Batch.need_id)


#: Every need's batches summed, for a listing to join to its page.
_SUMS = _progress_statement()

#: Built once: building this statement and its cache key cost 2.5 ms a call (profiled under
#: the load benchmark, where GET /needs, POST /needs and progress reports all run it); a
#: statement object keeps its cache key, and the ids go in as an expanding parameter.
_PROGRESS = _SUMS.where(Batch.need_id.in_(bindparam("need_ids", expanding=True)))

#: A need's batches summed: ``_PROGRESS``'s columns by name.
Sums = Mapping[Any, int]

#: A need without batches: every sum zero.
NO_BATCHES: Sums = dict.fromkeys(_PROGRESS.selected_columns.keys()[1:], 0)


async def progress_sums(session: AsyncSession, need_ids: list[int]) -> dict[int, Sums]:
    """Return, by need id, the sums of its batches (``NO_BATCHES``' keys: units proposed,
    claimed, made, ready, picked up, delivered, accepted, rejected, and per stage), in one
    query. A need without batches has no entry."""
    if not need_ids:
        return {}
    rows = await column_rows(session, _PROGRESS, {"need_ids": need_ids})
    return {row["need_id"]: row for row in rows.mappings()}


def _progress(quantity: int, status: str, sums: Sums) -> dict[str, Any]:
    """A ``Progress`` body: the sums, and the stages adding up to the need's quantity."""
    # Proposed plus committed is everything not declined or cancelled: what is held.
    held = sums["proposed"] + sums["claimed"]
    remaining = 0 if status == NeedStatus.CANCELLED else quantity - held
    return {
        "proposed": sums["proposed"],
        "claimed": sums["claimed"],
        "made": sums["made"],
        "ready": sums["ready"],
        "picked_up": sums["picked_up"],
        "delivered": sums["delivered"],
        "accepted": sums["accepted"],
        "rejected": sums["rejected"],
        "remaining": remaining,
        "stages": {
            "requested": max(remaining, 0),
            "proposed": sums["proposed"],
            "being_made": sums["being_made"],
            "ready": sums["at_lab"],
            "on_the_way": sums["on_the_way"],
            "delivered": sums["dropped"],
            "received": sums["received"],
        },
    }


#: A need's columns as listings read them (``_LISTED``) and render them (``_body``).
_NEED_COLUMNS = (
    "id",
    "design",
    "accepts",
    "quantity",
    "needed_by",
    "priority",
    "status",
    "region",
    "departement",
    "created_at",
)


def hospital_ref(hospital: Site) -> dict[str, Any]:
    """A ``HospitalRef`` body: the hospital of a need, as everyone may see it."""
    return _hospital(hospital.id, hospital.name, hospital.status, hospital.lat, hospital.lon)


def _hospital(id_: int, name: str, status: str, lat: float, lon: float) -> dict[str, Any]:
    return {
        "id": id_,
        "name": name,
        "verified": status == SiteStatus.VERIFIED,
        "lat": lat,
        "lon": lon,
    }


def need_fields(need: Need, hospital: dict[str, Any], sums: Sums = NO_BATCHES) -> dict[str, Any]:
    """A ``NeedOut`` body: a need with its hospital (``hospital_ref``) and the sums of its
    batches (``progress_sums``)."""
    return _body({name: getattr(need, name) for name in _NEED_COLUMNS}, hospital, sums, None)


def _body(
    need: Mapping[Any, Any], hospital: dict[str, Any], sums: Sums, distance: float | None
) -> dict[str, Any]:
    """A ``NeedOut`` body from a need's columns by name, and its distance in km from a
    searched point."""
    # Columns by key, never rows by attribute: a Row's attribute lookup first fails (and
    # formats an AttributeError) before it finds the column, which took a fifth of a
    # listing's instructions (callgrind, 2026-12-02).
    quantity, status = need["quantity"], need["status"]
    return {
        "id": need["id"],
        "hospital": hospital,
        "design": need["design"],
        "accepts": list(need["accepts"] or [need["design"]]),
        "quantity": quantity,
        "needed_by": need["needed_by"],
        "priority": need["priority"],
        "status": status,
        "region": need["region"],
        "departement": need["departement"],
        "flagged": not hospital["verified"],
        "distance_km": distance,
        "progress": _progress(quantity, status, sums),
        "created_at": need["created_at"],
    }


async def render_need(session: AsyncSession, need: Need, hospital: Site) -> NeedOut:
    """Render one need with its hospital and the sums of its batches."""
    sums = (await progress_sums(session, [need.id])).get(need.id, NO_BATCHES)
    return NeedOut.model_validate(need_fields(need, hospital_ref(hospital), sums))


#: A listed need's columns and its hospital's public ones, read as rows, not entities.
_LISTED: Select[*tuple[Any, ...]] = select(
    *(getattr(Need, name) for name in _NEED_COLUMNS),
    Site.id.label("hospital_id"),
    Site.name.label("hospital_name"),
    Site.status.label("hospital_status"),
    Site.lat.label("hospital_lat"),
    Site.lon.label("hospital_lon"),
).join(Site, Site.id == Need.hospital_id)


#: The filters a listing takes, by name: each one an equality with a bound value.
_FILTERS: dict[str, Any] = {
    "region": Need.region,
    "departement": Need.departement,
    "status": Need.status,
    "design": Need.design,
    "hospital_id": Need.hospital_id,
}


def _conditions(filters: frozenset[str], open_only: bool) -> list[ColumnElement[bool]]:
    conditions = [_FILTERS[name] == bindparam(name) for name in sorted(filters)]
    if open_only:
        held = (
            select(func.coalesce(func.sum(Batch.quantity), 0))
            .where(Batch.need_id == Need.id, ~_is_one_of(INACTIVE))
            .scalar_subquery()
        )
        conditions += [Need.status != NeedStatus.CANCELLED, Need.quantity > held]
    return conditions


# The statements below are built once per set of filters, their values bound at execution:
# built per request, the page's subqueries cost more to build than to run (their column
# collections: 5.8 M instructions a listing more, callgrind).


@cache
def _page(filters: frozenset[str], open_only: bool) -> Select[*tuple[Any, ...]]:
    """The page of listed needs by ``needed_by`` and id, its batches summed, and the count
    (an uncorrelated subquery, computed once): one statement where three took 1.3 M
    instructions more a listing (callgrind, in-process)."""
    conditions = _conditions(filters, open_only)
    page = (
        _LISTED.where(*conditions)
        .order_by(Need.needed_by, Need.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .cte("page")
    )
    sums = _SUMS.where(Batch.need_id.in_(select(page.c.id))).subquery("sums")
    # Every need has its hospital: the count needs no join.
    total = select(func.count(Need.id)).where(*conditions).scalar_subquery().label("total")
    return select(page, total, *sums.c).outerjoin(sums, sums.c.need_id == page.c.id)


@cache
def _count(filters: frozenset[str], open_only: bool) -> Select[int]:
    return select(func.count(Need.id)).where(*_conditions(filters, open_only))


@cache
def _nearby(filters: frozenset[str], open_only: bool, wraps: bool) -> Select[*tuple[Any, ...]]:
    """Listed needs in a bounding box (``south`` to ``north``, ``west`` to ``east`` unless
    the box ``wraps`` the antimeridian)."""
    query = _LISTED.where(
        *_conditions(filters, open_only),
        Site.lat.between(bindparam("south"), bindparam("north")),
    )
    if not wraps:
        query = query.where(Site.lon.between(bindparam("west"), bindparam("east")))
    return query


async def list_needs(
    session: AsyncSession,
    *,
    status: str | None,
    design: str | None,
    area: Area | None,
    hospital_id: int | None,
    near: tuple[float, float] | None,
    radius_km: float | None,
    limit: int,
    offset: int,
    open_only: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """Return a page of ``NeedOut`` bodies (nearest first when ``near`` is given, else by
    ``needed_by`` and id) and how many needs match in all.

    ``area`` None or ``FR`` is everywhere. ``open_only`` keeps the needs with units no lab
    has taken yet: what a maker can claim. ``radius_km`` defaults to 50 km around ``near``.
    """
    values: dict[str, Any] = {"status": status, "design": design, "hospital_id": hospital_id}
    if area is not None and area.kind != "FR":
        values[area.kind] = area.code
    values = {name: value for name, value in values.items() if value is not None}
    filters = frozenset(values)
    if near is not None:
        found, count = await _near(session, filters, values, open_only, near, radius_km)
        page = found[offset : offset + limit]
        by_need = await progress_sums(session, [row["id"] for row, _ in page])
        return [
            _listed(row, by_need.get(row["id"], NO_BATCHES), distance) for row, distance in page
        ], count
    statement = _page(filters, open_only)
    params = {**values, "limit": limit, "offset": offset}
    # One statement: a read session that has not begun runs it without a connection from
    # the pool (hub.instant_reads), as the bearer token's read.
    rows = await first_statement_rows(session, statement, params)
    if not rows:
        # Past the last page, or nothing matches: the count is still owed.
        if not offset:
            return [], 0
        past = await column_rows(session, _count(filters, open_only), values)
        return [], int(past.scalar() or 0)
    # The join keeps no order; the page is sorted here rather than sorted again in SQL.
    rows = sorted(rows, key=itemgetter("needed_by", "id"))
    return [
        _listed(row, NO_BATCHES if row["need_id"] is None else row, None) for row in rows
    ], rows[0]["total"]


def _listed(row: Mapping[Any, Any], sums: Sums, distance: float | None) -> dict[str, Any]:
    """A ``NeedOut`` body from a row of ``_LISTED``, by column name."""
    hospital = _hospital(
        row["hospital_id"],
        row["hospital_name"],
        row["hospital_status"],
        row["hospital_lat"],
        row["hospital_lon"],
    )
    return _body(row, hospital, sums, distance)


async def _near(
    session: AsyncSession,
    filters: frozenset[str],
    values: dict[str, Any],
    open_only: bool,
    near: tuple[float, float],
    radius_km: float | None,
) -> tuple[list[tuple[RowMapping, float | None]], int]:
    """The listed needs within the radius, nearest first, with their distances."""
    # A bounding box in SQL narrows the rows, exact distances are computed here.
    lat, lon = near
    radius = radius_km if radius_km is not None else 50.0
    south, west, north, east = bounding_box(lat, lon, radius)
    box = {"south": south, "north": north, "west": west, "east": east}
    query = _nearby(filters, open_only, wraps=west > east)
    found: list[tuple[RowMapping, float | None]] = []
    for row in (await column_rows(session, query, {**values, **box})).mappings():
        distance = haversine_km(lat, lon, row["hospital_lat"], row["hospital_lon"])
        if distance <= radius:
            found.append((row, round(distance, 2)))
    found.sort(key=lambda item: (item[1], item[0]["needed_by"], item[0]["id"]))
    return found, len(found)
