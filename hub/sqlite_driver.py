"""aiosqlite connections that run SQL statements on the event loop's thread.

aiosqlite runs a SQLite connection in a thread of its own; every call is a trip there and
back (a queue, a future, a wake-up of the event loop), and SQLAlchemy's aiosqlite adapter
makes four such trips per statement (open a cursor, execute, fetch, close), plus one for
each ``BEGIN``, ``COMMIT`` and ``ROLLBACK``. The hub's statements are index lookups that
SQLite answers in microseconds from its page cache, so the trips cost more than the work:
running them in place took 16 % off the CPU time of a day-shaped request (issue 13,
``request_cost.py``'s method), and a write transaction now runs from ``BEGIN`` to ``COMMIT`` without
letting the event loop take other requests in between, so it holds the write lock for less
time.

Two things still go to the connection's thread, because they wait, and the event loop must
not wait:

- **a lock held by another connection.** The connection's busy timeout is 0, so a statement
  run in place fails at once with ``SQLITE_BUSY`` instead of sleeping; it is then run again
  on the thread with the configured timeout. It changed nothing when it failed: a busy
  statement is the first of its transaction to take the lock (``BEGIN IMMEDIATE``, or the
  first read of a WAL snapshot), the hub's writes run inside ``BEGIN IMMEDIATE`` and cannot
  be busy after it;
- **the commit of a write connection**, which waits on the disk (``synchronous=FULL`` syncs
  the write-ahead log; a SD card can take several milliseconds).

Connections made with ``in_place=False`` send every statement to their thread: the hub's
work off the requests' path (the live stream's reader, ``Database.background_sessions``),
whose reads would otherwise hold up the event loop while it answers a reconnect storm.

Each statement fetches all its rows at once, as SQLAlchemy's adapter does for every
non-streaming cursor. Only aiosqlite's ``Connection._execute`` (its one way to run a function
on the connection's thread, which its own cursors use) is relied on beyond the public API.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite

_Statement = tuple[Any, int, int | None, list[Any]]


def _run(connection: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> _Statement:
    """Execute, fetch every row, close; return what was learnt."""
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


def _run_waiting(
    connection: sqlite3.Connection, timeout_ms: int, many: bool, sql: str, parameters: Any
) -> _Statement:
    """On the connection's thread: :func:`_run`, waiting up to ``timeout_ms`` for locks."""
    connection.execute(f"PRAGMA busy_timeout={timeout_ms}")
    try:
        return _run(connection, many, sql, parameters)
    finally:
        connection.execute("PRAGMA busy_timeout=0")


def is_busy(error: sqlite3.OperationalError) -> bool:
    """Tell whether SQLite refused for a lock another connection holds (``SQLITE_BUSY``)."""
    # The extended codes (SQLITE_BUSY_RECOVERY, _SNAPSHOT, _TIMEOUT) keep the primary code in
    # their low byte (https://www.sqlite.org/rescode.html).
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


class SQLiteCursor:
    """The asyncio cursor SQLAlchemy's adapter drives; statements run in place."""

    arraysize = 1

    def __init__(self, connection: SQLiteConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []
        # Where the next fetch starts: rows are not popped off the front, which is quadratic.
        self._next = 0

    async def __aenter__(self) -> SQLiteCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _statement(self, many: bool, sql: str, parameters: Any) -> SQLiteCursor:
        connection = self._connection
        result: _Statement | None = None
        if connection.in_place:
            try:
                result = _run(connection._conn, many, sql, parameters)
            except sqlite3.OperationalError as error:
                if not is_busy(error):
                    raise
        if result is None:  # off the requests' path, or busy: on the thread, waiting
            result = await connection._execute(  # type: ignore[no-untyped-call]
                _run_waiting, connection._conn, connection.timeout_ms, many, sql, parameters
            )
        self.description, self.rowcount, self.lastrowid, self._rows = result
        self._next = 0
        return self

    async def execute(self, sql: str, parameters: Any = None) -> SQLiteCursor:
        """Run one statement; its rows wait here for the fetches."""
        return await self._statement(False, sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> SQLiteCursor:
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
        """Forget the rows (the SQLite cursor was closed with its statement)."""
        self._rows, self._next = [], 0

    async def setinputsizes(self, *_sizes: Sequence[Any]) -> None:
        """Nothing to do: DB-API requires it, SQLite ignores it."""


class SQLiteConnection(aiosqlite.Connection):
    """An aiosqlite connection whose statements, rollbacks and read commits run in place.

    ``timeout_ms`` is how long a statement waits, on the thread, for another connection's
    lock; ``commit_in_thread`` sends commits to the thread (a write connection's commit
    syncs the disk); ``in_place=False`` sends every statement there, for work off the
    requests' path whose long reads must not hold up the event loop.
    """

    def __init__(
        self,
        connector: Callable[[], sqlite3.Connection],
        *,
        timeout_ms: int,
        commit_in_thread: bool,
        in_place: bool,
    ) -> None:
        super().__init__(connector, 64)
        self.timeout_ms = timeout_ms
        self.commit_in_thread = commit_in_thread
        self.in_place = in_place

    def cursor(self) -> SQLiteCursor:  # type: ignore[override]
        """Return a cursor (nothing to open: a SQLite cursor lives within its statement)."""
        return SQLiteCursor(self)

    async def commit(self) -> None:
        """Commit: on the thread for a write connection, else in place."""
        if self.commit_in_thread or not self.in_place:
            await super().commit()
        else:
            self._conn.commit()

    async def rollback(self) -> None:
        """Roll back (in place: nothing to sync)."""
        if self.in_place:
            self._conn.rollback()
        else:
            await super().rollback()


def connector(
    database: str, *, commit_in_thread: bool = True, in_place: bool = True, **kwargs: Any
) -> Callable[[], Any]:
    """Return the ``async_creator`` of ``create_async_engine`` for this SQLite database.

    ``database`` and ``kwargs`` are ``sqlite3.connect``'s (as SQLAlchemy's dialect derives
    them from the URL with ``create_connect_args``); ``kwargs["timeout"]`` (seconds, default
    5 as sqlite3's) becomes the wait on the connection's thread, and the connection itself
    never waits. ``commit_in_thread`` is False for connections that only read; ``in_place``
    is :class:`SQLiteConnection`'s.
    """
    timeout_ms = int(1000 * kwargs.pop("timeout", 5.0))
    # Opened on the connection's thread and used on the event loop's too, never both at once
    # (every call is awaited before the next).
    kwargs["check_same_thread"] = False

    async def connect() -> aiosqlite.Connection:
        # Awaiting starts the connection's thread and opens the database there.
        return await SQLiteConnection(
            lambda: sqlite3.connect(database, timeout=0, **kwargs),
            timeout_ms=timeout_ms,
            commit_in_thread=commit_in_thread,
            in_place=in_place,
        )

    return connect
