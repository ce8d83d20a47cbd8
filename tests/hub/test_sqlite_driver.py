"""SQLite statements run in place (hub.sqlite_driver), with the DB-API answers intact."""

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from hub.db import Database
from hub.sqlite_driver import connector


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite'}")
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield database
    await database.dispose()


class Trips:
    """Counts the calls sent to aiosqlite connections' threads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = aiosqlite.Connection._execute

        async def counting(connection: aiosqlite.Connection, fn: Any, *args: Any, **kw: Any) -> Any:
            self.count += 1
            return await original(connection, fn, *args, **kw)

        monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)


async def test_statements_run_in_place_and_a_write_commits_on_the_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.read_sessions() as session:
        await session.execute(text("SELECT 1"))  # the pool's first connection is opened
    async with db.transaction() as session:
        await session.execute(text("SELECT 1"))
    trips = Trips(monkeypatch)
    async with db.read_sessions() as session:
        rows = (await session.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
    assert [r[0] for r in rows] == [1, 2]
    # BEGIN, the statement, the rollback: none leaves the event loop's thread (SQLAlchemy's
    # own adapter takes six trips: BEGIN, cursor, execute, fetchall, close, rollback).
    assert trips.count == 0
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('a')"))
    assert trips.count == 1  # the commit, which syncs the disk


async def test_a_lock_held_elsewhere_is_waited_for_off_the_event_loop(
    db: Database, tmp_path: Path
) -> None:
    """Another process's writer holds the lock: the hub's writer waits for it on its thread
    while the event loop goes on, then writes once."""
    other = sqlite3.connect(tmp_path / "driver.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t (v) VALUES ('waited')"))

    ticking = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done()
    assert ticks >= 10  # the loop was not blocked by the wait
    other.execute("INSERT INTO t (v) VALUES ('other')")
    other.execute("COMMIT")
    await asyncio.wait_for(writing, 5)
    ticking.cancel()
    other.close()
    async with db.read_sessions() as session:
        values = (await session.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert values == ["other", "waited"]


async def test_a_read_meets_no_lock_and_waits_for_nothing(db: Database, tmp_path: Path) -> None:
    """WAL: a writer elsewhere holding the lock does not delay reads run in place."""
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('kept')"))
    other = sqlite3.connect(tmp_path / "driver.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES ('not yet')")
    try:
        async with db.read_sessions() as session:
            values = (await session.execute(text("SELECT v FROM t"))).scalars().all()
        assert values == ["kept"]
    finally:
        other.close()


async def test_row_counts_ids_many_rows_and_returning(db: Database) -> None:
    async with db.transaction() as session:
        inserted = await session.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await session.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        updated = await session.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        returned = await session.execute(text("DELETE FROM t WHERE id = 3 RETURNING v"))
        assert returned.all() == [("c!",)]
    async with db.read_sessions() as session:
        result = await session.execute(text("SELECT v FROM t ORDER BY id"))
        assert result.fetchone() == ("a",)
        assert result.fetchmany(5) == [("b!",)]
        assert result.fetchone() is None
        assert (await session.execute(text("SELECT v FROM t WHERE 0"))).all() == []


async def test_errors_reach_the_caller_and_roll_back(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t (v) VALUES ('x')"))
            await session.execute(text("INSERT INTO t (v) VALUES ('x')"))
    with pytest.raises(OperationalError):
        async with db.read_sessions() as session:
            await session.execute(text("SELECT nothing FROM nowhere"))
    async with db.read_sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(min_value=0, max_value=40),
    fetches=st.lists(
        st.one_of(
            st.just("one"), st.just("all"), st.none(), st.integers(min_value=1, max_value=15)
        ),
        max_size=12,
    ),
)
def test_fetches_in_any_order_give_what_sqlite3s_cursor_gives(
    tmp_path_factory: pytest.TempPathFactory, rows: int, fetches: list[str | int | None]
) -> None:
    """fetchone, fetchmany and fetchall interleaved: each row once, in order, as sqlite3 does
    (the reference), and the cursor reused for a second statement starts afresh."""
    path = tmp_path_factory.mktemp("fetch") / "f.sqlite"
    sql = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT {rows}) "
    sql += "SELECT i FROM n" if rows else "SELECT 1 WHERE 0"
    reference = sqlite3.connect(path).cursor()

    def expected(fetch: str | int | None) -> Any:
        if fetch == "one":
            return reference.fetchone()
        if fetch is None:  # fetchmany's default size, the cursor's arraysize
            return reference.fetchmany()
        return reference.fetchall() if fetch == "all" else reference.fetchmany(fetch)

    async def check() -> None:
        connection = await connector(str(path))()
        try:
            cursor = connection.cursor()
            for _ in range(2):  # the second statement while rows of the first are left
                await cursor.execute(sql)
                reference.execute(sql)
                for fetch in fetches:
                    if fetch == "one":
                        got = await cursor.fetchone()
                    elif fetch == "all":
                        got = await cursor.fetchall()
                    elif fetch is None:
                        got = await cursor.fetchmany()
                    else:
                        got = await cursor.fetchmany(fetch)
                    assert got == expected(fetch), fetch
            assert await cursor.fetchall() == reference.fetchall()
        finally:
            await connection.close()

    asyncio.run(check())


async def test_background_reads_run_on_the_connection_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live stream's reads (``background_sessions``) leave the event loop free."""
    async with db.background_sessions() as session:
        await session.execute(text("SELECT 1"))  # the pool's first connection is opened
    trips = Trips(monkeypatch)
    async with db.background_sessions() as session:
        rows = (await session.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
    assert [r[0] for r in rows] == [1, 2]
    # BEGIN, the statement, and two rollbacks (the session's, the pool's on return).
    assert trips.count == 4
