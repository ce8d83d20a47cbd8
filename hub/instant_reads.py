"""Reads of one statement, run straight on a SQLite connection of their own.

Every authenticated request first reads its bearer token and account (one indexed lookup).
Through a pooled read session it cost about 205 us of CPU, and SQLite's own part of it about
6 us: the rest was the session, the pool's checkout and return, ``BEGIN`` and ``ROLLBACK``,
and SQLAlchemy's execution path (timed in-process, 2,000 lookups each way, 2026-12-02). A
single ``SELECT`` needs none of that to be consistent: outside a transaction, SQLite runs it
in an implicit one of its own, on one snapshot of a WAL database. ``GET /needs``' page is one
statement too (``hub.db.first_statement_rows``).

So, on a SQLite file, :class:`InstantReads` keeps one connection per process in autocommit
mode and read-only (``PRAGMA query_only``), runs a statement compiled once for it, and
converts the columns with the same result processors SQLAlchemy would apply, so rows are
what a session would have given. Its connection never waits: a statement that meets a lock
(in WAL mode a reader meets one only in rare moments: a recovery after a crash, the last
connection closing, a connection in exclusive locking mode), a connection in use by another
thread, or any other driver error is :class:`Unavailable`, and the caller reads through a
session as before (``Database.first_row``, ``hub.db.first_statement_rows``).
In-memory databases have no file to open twice: they always read through sessions.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select
from sqlalchemy.engine import Dialect


class Unavailable(Exception):
    """The statement could not run at once here; read through a session instead."""


class _Plan(NamedTuple):
    sql: str
    compiled: Any
    positions: Sequence[str]
    binds: Mapping[str, Callable[[Any], Any]]
    keys: Sequence[str]
    results: Sequence[Callable[[Any], Any] | None]


class InstantReads:
    """Single-statement reads on a SQLite file, outside any transaction (module docstring)."""

    def __init__(self, database: str, dialect: Dialect, **connect_kwargs: Any) -> None:
        """``database`` and ``connect_kwargs`` are ``sqlite3.connect``'s, as SQLAlchemy's
        dialect derives them from the URL (``create_connect_args``)."""
        self._database = database
        self._kwargs = {k: v for k, v in connect_kwargs.items() if k != "timeout"}
        self._dialect = dialect
        self._connection: sqlite3.Connection | None = None
        # The connection is used from whichever thread runs the event loop; never by two at
        # once (a second caller reads through a session rather than wait).
        self._lock = threading.Lock()
        self._plans: dict[Select[Any], _Plan] = {}

    def first(self, statement: Select[Any], params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The statement's first row by column name, converted as SQLAlchemy converts it, or
        None without rows; :class:`Unavailable` when it cannot run at once."""
        rows = self.rows(statement, params, limit=1)
        return rows[0] if rows else None

    def rows(
        self, statement: Select[Any], params: Mapping[str, Any], *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The statement's rows (the first ``limit`` of them) by column name, converted as
        SQLAlchemy converts them; :class:`Unavailable` when it cannot run at once.

        For statements built once: each is compiled on its first read and kept."""
        plan = self._plans.get(statement) or self._plan(statement)
        values = plan.compiled.construct_params(params)
        arguments = []
        for name in plan.positions:
            value = values[name]
            bind = plan.binds.get(name)
            arguments.append(value if bind is None else bind(value))
        if not self._lock.acquire(blocking=False):
            raise Unavailable
        try:
            connection = self._connection or self._open()
            cursor = connection.execute(plan.sql, arguments)
            raw = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
            cursor.close()
        except sqlite3.Error as error:
            # Busy, or broken: the next read opens a fresh connection.
            self._drop()
            raise Unavailable from error
        finally:
            self._lock.release()
        keys, results = plan.keys, plan.results
        return [
            {
                key: v if convert is None else convert(v)
                for key, convert, v in zip(keys, results, row, strict=True)
            }
            for row in raw
        ]

    def close(self) -> None:
        """Close the connection (a later read opens it again)."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _open(self) -> sqlite3.Connection:
        # timeout=0: never wait for a lock (the caller reads through a session instead).
        connection: sqlite3.Connection = sqlite3.connect(
            self._database, timeout=0, isolation_level=None, **self._kwargs
        )
        connection.execute("PRAGMA query_only=ON")
        self._connection = connection
        return connection

    def _plan(self, statement: Select[Any]) -> _Plan:
        dialect = self._dialect
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.positiontup is None:
            raise ValueError("an instant read takes plain positional bind parameters only")
        binds = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds[name] = process
        columns = list(statement.selected_columns)
        plan = _Plan(
            sql=compiled.string,
            compiled=compiled,
            positions=list(compiled.positiontup),
            binds=binds,
            keys=list(statement.selected_columns.keys()),
            results=[c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns],
        )
        self._plans[statement] = plan
        return plan
