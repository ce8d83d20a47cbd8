"""Totals kept as of an event id and moved by the events in between (hub.stats.ledger).

Each expected value is a recount from the tables, read right after the write, by
``hub.stats.service.totals``: the ledger's kept-and-moved totals must equal it at every head.
"""

import random
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text

from hub.db import Database
from hub.events.service import last_event_id
from hub.geo.areas import Area
from hub.rules.totals import Totals
from hub.stats.ledger import TotalsLedger
from hub.stats.service import totals

LILLE = (50.6292, 3.0573)
AREAS = [None, Area("region", "84"), Area("departement", "38"), Area("region", "32")]


async def _recount(db: Database) -> tuple[int, dict[Area | None, Totals]]:
    """Return the newest event id and every area's totals recounted from the tables."""
    async with db.read_sessions() as session:
        head = await last_event_id(session)
        return head, {area: await totals(session, area) for area in AREAS}


async def _busy_day(hub: Any, db: Database) -> list[tuple[int, dict[Area | None, Totals]]]:
    """Posts, claims, progress, a ready batch, a cancelled need and a cancelled batch, in two
    regions and two designs; the recount after each write."""
    staff = await hub.account("hospital_staff")
    maker = await hub.account("maker")
    grenoble = await hub.site(staff, "hospitals")
    lille = await hub.site(staff, "hospitals", *LILLE)
    lab = await hub.site(maker, "labs")
    seen = [await _recount(db)]

    async def post(path: str, body: dict[str, Any] | None = None, who: Any = maker) -> Any:
        r = await hub.client.post(f"/api/v1{path}", json=body or {}, headers=who.headers)
        assert r.status_code < 300, r.text
        seen.append(await _recount(db))
        return r.json()

    first = await hub.need(staff, grenoble["id"], quantity=40)
    seen.append(await _recount(db))
    second = await hub.need(staff, lille["id"], quantity=25, design="ear-saver")
    seen.append(await _recount(db))
    batch = await hub.claim(maker, first["id"], lab["id"], 30)
    seen.append(await _recount(db))
    await post(f"/batches/{batch['id']}/progress", {"made": 12})
    await post(f"/batches/{batch['id']}/progress", {"made": 20})
    await post(f"/batches/{batch['id']}/ready", {"rest": "keep"})
    other = await hub.claim(maker, second["id"], lab["id"], 10)
    seen.append(await _recount(db))
    await post(f"/batches/{other['id']}/progress", {"made": 4})
    await post(f"/batches/{other['id']}/cancel")
    await post(f"/needs/{second['id']}/cancel", who=staff)
    assert len({head for head, _ in seen}) == len(seen), "each write appends an event"
    return seen


async def test_kept_totals_moved_by_events_equal_a_recount_at_every_head(hub, app) -> None:
    db: Database = app.state.db
    seen = await _busy_day(hub, db)
    ledger = TotalsLedger(recount_seconds=float("inf"))
    # Forward, backward and jumping: each head asked in a shuffled order.
    order = seen * 2
    random.Random(13).shuffle(order)
    for head, expected in order:
        async with db.read_sessions() as session:
            for area in AREAS:
                assert await ledger.totals_at(session, area, head) == expected[area], (head, area)
    # One recount per area; every other answer was moved by events.
    assert ledger.recounts == len(AREAS)


async def test_a_recount_stands_at_the_asked_head_though_the_tables_moved_on(hub, app) -> None:
    db: Database = app.state.db
    seen = await _busy_day(hub, db)
    for head, expected in seen:
        ledger = TotalsLedger()  # nothing kept: the first answer is a recount
        async with db.read_sessions() as session:
            assert await ledger.totals_at(session, None, head) == expected[None]
        assert ledger.recounts == 1


async def test_an_answer_is_a_copy_the_caller_may_change(hub, app) -> None:
    db: Database = app.state.db
    head, expected = (await _busy_day(hub, db))[-1]
    ledger = TotalsLedger()
    async with db.read_sessions() as session:
        first = await ledger.totals_at(session, None, head)
        first["face-shield-prusa-rc3"]["requested"] = -1
        first["invented"] = {}
        assert await ledger.totals_at(session, None, head) == expected[None]


async def test_stats_after_a_write_reads_the_new_events_not_the_tables(hub, app, client) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    await hub.need(staff, hospital["id"], quantity=40)
    assert (await client.get("/api/v1/stats")).status_code == 200
    await hub.need(staff, hospital["id"], quantity=2)
    db: Database = app.state.db
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa_event.listen(db.read_engine.sync_engine, "before_cursor_execute", count)
    try:
        stats = (await client.get("/api/v1/stats")).json()
    finally:
        sa_event.remove(db.read_engine.sync_engine, "before_cursor_execute", count)
    assert stats["totals"]["face-shield-prusa-rc3"]["requested"] == 42
    # The kept totals, moved by the one new event: no aggregate over needs or batches.
    assert not [s for s in statements if "FROM needs" in s or "FROM batches" in s], statements


@pytest.mark.tables_changed_by_hand
async def test_totals_are_recounted_once_kept_ones_are_old(hub, app, client) -> None:
    # A change to the tables that no event carries (here by hand) is on the page again after
    # the recount interval, not for ever.
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    await hub.need(staff, hospital["id"], quantity=40)
    db: Database = app.state.db
    now = [0.0]
    ledger = TotalsLedger(recount_seconds=60, clock=lambda: now[0])
    async with db.read_sessions() as session:
        head = await last_event_id(session)
        assert (await ledger.totals_at(session, None, head))["face-shield-prusa-rc3"][
            "requested"
        ] == 40
    async with db.transaction() as session:
        await session.execute(text("UPDATE needs SET quantity = 45"))
    for clock, requested in ((59.0, 40), (60.0, 45)):
        now[0] = clock
        async with db.read_sessions() as session:
            got = await ledger.totals_at(session, None, head)
        assert got["face-shield-prusa-rc3"]["requested"] == requested


@pytest.mark.parametrize("gap", [1, 3])
async def test_a_gap_wider_than_max_gap_is_recounted(hub, app, gap: int) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    await hub.need(staff, hospital["id"], quantity=40)
    db: Database = app.state.db
    ledger = TotalsLedger(max_gap=2)
    start, _ = await _recount(db)
    async with db.read_sessions() as session:
        await ledger.totals_at(session, None, start)
    for _ in range(gap):
        await hub.need(staff, hospital["id"], quantity=1)
    head, expected = await _recount(db)
    async with db.read_sessions() as session:
        assert await ledger.totals_at(session, None, head) == expected[None]
    assert ledger.recounts == (1 if gap <= 2 else 2)
