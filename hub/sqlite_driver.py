"""aiosqlite connections that run each SQL statement in one trip to their thread, not four.

aiosqlite runs a SQLite connection in a thread of its own; every call is a trip there and
back (a queue, a future, a wake-up of the event loop). SQLAlchemy's aiosqlite adapter makes
four such trips per statement: open a cursor, execute, fetch the rows, close the cursor.
Under the day-shaped load (issue 13) the event loop is busy, so each trip waits its turn
behind the other requests, and a write transaction held SQLite's one write lock for ten
statements times four turns. Here the cursor does the whole statement in one trip (execute,
every row, the row count, close) and answers ``fetchall`` and friends from what it brought
back. Rows are fetched eagerly, as SQLAlchemy's adapter does for every non-streaming cursor.

Only aiosqlite's ``Connection._execute`` (its one way to run a function on the connection's
thread, which its own cursors use) is relied on beyond the public API.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite

_Statement = tuple[Any, int, int | None, list[Any]]


def _run(
    connection: sqlite3.Connection,
    many: bool,
    sql: str,
    parameters: Any,
) -> _Statement:
    """On the connection's thread: execute, fetch every row, close; return what was learnt."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor:
    """The asyncio cursor SQLAlchemy's adapter drives, one thread trip per statement."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []
        # Where the next fetch starts: rows are not popped off the front, which is quadratic.
        self._next = 0

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _statement(self, many: bool, sql: str, parameters: Any) -> OneTripCursor:
        connection = self._connection
        result: _Statement = await connection._execute(  # type: ignore[no-untyped-call]
            lambda: _run(connection._conn, many, sql, parameters)
        )
        self.description, self.rowcount, self.lastrowid, self._rows = result
        self._next = 0
        return self

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        """Run one statement; its rows wait here for the fetches."""
        return await self._statement(False, sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        """Run one statement for each parameter set."""
        return await self._statement(True, sql, list(parameters))

    async def fetchall(self) -> list[Any]:
        """Return the rows not fetched yet."""
        rows = self._rows[self._next :] if self._next else self._rows
        await self.close()
        return rows

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Return up to ``size`` (``arraysize``) of the rows not fetched yet."""
        start = self._next
        self._next = min(start + (size or self.arraysize), len(self._rows))
        return self._rows[start : self._next]

    async def fetchone(self) -> Any:
        """Return the next row, or None."""
        if self._next == len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def close(self) -> None:
        """Forget the rows (the SQLite cursor was closed in the statement's trip)."""
        self._rows, self._next = [], 0

    async def setinputsizes(self, *_sizes: Sequence[Any]) -> None:
        """Nothing to do: DB-API requires it, SQLite ignores it."""


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are :class:`OneTripCursor`."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """Return a cursor (no trip: the SQLite cursor lives only within each statement)."""
        return OneTripCursor(self)


def connector(database: str, **kwargs: Any) -> Callable[[], Any]:
    """Return the ``async_creator`` of ``create_async_engine`` for this SQLite database.

    ``database`` and ``kwargs`` are ``sqlite3.connect``'s (as SQLAlchemy's dialect derives
    them from the URL with ``create_connect_args``).
    """

    async def connect() -> aiosqlite.Connection:
        # Awaiting starts the connection's thread and opens the database there.
        return await OneTripConnection(lambda: sqlite3.connect(database, **kwargs), 64)

    return connect
