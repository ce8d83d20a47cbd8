"""Invariants checked after every test that builds an app."""

from sqlalchemy import select

from hub.db import Database
from hub.events.service import summed_deltas
from hub.geo.areas import Area
from hub.needs.models import Need
from hub.stats.service import totals


async def assert_deltas_add_up(db: Database) -> None:
    """The events' ``totals_delta`` add up to a recount from the tables, for France and for
    every région and département holding a need.

    ``GET /stats`` and dashboard snapshots move kept totals by these deltas
    (``hub.stats.ledger``): a write that changed the tables without its delta would show
    wrong totals until the next recount. Checked after every test, every write path is.
    """
    async with db.read_sessions() as session:
        places = (await session.execute(select(Need.region, Need.departement).distinct())).all()
        areas: set[Area | None] = {None}
        areas |= {Area("region", region) for region, _ in places if region}
        areas |= {Area("departement", departement) for _, departement in places if departement}
        for area in areas:
            from_events = await summed_deltas(session, area, after=0)
            # Counters an event took back to zero leave a row of zeros; a recount has none.
            from_events = {d: row for d, row in from_events.items() if any(row.values())}
            assert from_events == await totals(session, area), f"area {area}"
