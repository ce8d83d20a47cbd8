"""Engines, sessions and the locking rules that keep the invariants on SQLite and PostgreSQL.

Writes on SQLite take the database lock up front (``BEGIN IMMEDIATE``) so that concurrent
writers queue behind the busy timeout instead of failing half-way with "database is locked".
On PostgreSQL, services lock the rows they check with ``SELECT ... FOR UPDATE``.

SQLite has one writer at a time, so a process gets exactly one write connection: its writers
queue in the pool (FIFO, holding nothing, handed the connection the moment it is returned)
rather than in SQLite's busy handler, which sleeps-and-polls (naps of up to 100 ms) and left
the lock idle while 64 waiting writers napped. Profiling the day-shaped mix (issue 13) showed
exactly that: ``BEGIN IMMEDIATE`` waits of 4.6 s at p99 against 5 ms of lock held at the
median. ``BEGIN IMMEDIATE`` and the busy timeout stay for writers in other processes (the
CLI, a second server). Readers have their own pool, so waiting writers never take a reader's
connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import (
    CursorResult,
    Executable,
    MetaData,
    Select,
    bindparam,
    event,
    make_url,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from hub.config import Settings
from hub.instant_reads import InstantReads, Unavailable
from hub.sqlite_driver import connector

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every ORM table."""

    metadata = MetaData(naming_convention=NAMING)


Row = TypeVar("Row", bound=Base)


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


# Hot lookups use statements built once with bind parameters. Building a statement and its
# cache key costs more than running it on SQLite: py-spy on the day-shaped mix (issue 13)
# showed 10 to 25 % of a request's CPU in SQLAlchemy's expression construction (``__eq__``,
# ``coercions.expect``) and ``_generate_cache_key``, which a statement object memoizes.
def by_id(model: type[Row], *, lock: bool = False) -> Select[Row]:
    """The statement selecting one ``model`` row by the bind parameter ``id``, built once.

    ``lock`` adds ``FOR UPDATE`` (PostgreSQL; SQLite writers hold the database lock anyway)
    and ``populate_existing``: a row read earlier in the session is refreshed, not reused.
    """
    return cast("Select[Row]", _by_id(model, lock))


@cache
def _by_id(model: type[Any], lock: bool) -> Select[Any]:
    query = select(model).where(model.id == bindparam("id"))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return query


async def column_rows(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> CursorResult[*tuple[Any, ...]]:
    """Run a statement that selects columns, not entities, in the session's transaction, and
    return its rows (``.mappings()`` to read them by name, ``.scalars()`` for one column).

    Core's execution path on the session's connection, not the ORM's: the ORM's (its compile
    state, loading context and row processing) cost 1.0 M of a listing's 18.7 M instructions
    (``GET /needs``, callgrind, 2026-12-02) and gives the same rows. Pending changes are
    flushed first, as the ORM's autoflush would, so a read sees the session's own writes.

    For statements built once: one built per request cost more this way (``GET /batches``'
    page, 0.8 M instructions more; why was not found).
    """
    if session.new or session.dirty or session.deleted:
        await session.flush()
    connection = await session.connection()
    return await connection.execute(statement, params)


#: Where a read session keeps its database's instant reads (``hub.instant_reads``), if any.
_INSTANT = "hub_instant_reads"


async def first_statement_rows(
    session: AsyncSession, statement: Select[Any], params: Mapping[str, Any]
) -> Sequence[Mapping[Any, Any]]:
    """The rows of a read that is ``session``'s first statement, by column name.

    Before a read session has begun, on a SQLite file, the statement runs at once on the
    database's instant connection (``hub.instant_reads``), in a snapshot of its own: statements
    the caller runs in the session afterwards see a later one. Otherwise, ``column_rows``.
    """
    instant: InstantReads | None = session.info.get(_INSTANT)
    if instant is not None and not session.in_transaction():
        try:
            return instant.rows(statement, params)
        except Unavailable:
            pass
    return (await column_rows(session, statement, params)).mappings().all()


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL points at SQLite."""
    return url.startswith("sqlite")


# WAL readers do not block each other or the writer; a few connections (one thread each
# under aiosqlite) keep two cores busy without thrashing.
SQLITE_READ_POOL = 8
SQLITE_READ_OVERFLOW = 8
#: The live stream's readers (one catch-up at a time, and a snapshot per area and head).
SQLITE_BACKGROUND_POOL = 2


def writers_take_turns(session: AsyncSession) -> bool:
    """Tell whether ``session``'s database runs one write transaction at a time (SQLite).

    There each write holds the database's lock from its ``BEGIN IMMEDIATE``: event ids commit
    in id order and nothing another writer does can interleave with it. On PostgreSQL
    writers run side by side, each locking the rows it checks (the module's docstring).
    """
    return session.get_bind().dialect.name == "sqlite"


def _in_memory(url: str) -> bool:
    """Whether a SQLite URL names an in-memory database (no file for a second connection)."""
    return ":memory:" in url or "mode=memory" in url


def _connect_args(url: str) -> tuple[str, dict[str, Any]]:
    """The database and keyword arguments of ``sqlite3.connect`` that SQLAlchemy derives
    from a SQLite URL."""
    sa_url = make_url(url)
    args, kwargs = sa_url.get_dialect()().create_connect_args(sa_url)
    return args[0], dict(kwargs)


def _sqlite_engine(
    url: str, busy_timeout_ms: int, *, immediate: bool, in_place: bool = True
) -> AsyncEngine:
    pool: dict[str, Any] = {}
    if not _in_memory(url):
        if immediate:
            # The one write connection: the pool's queue is the process's write lock.
            pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout": busy_timeout_ms / 1000}
        elif in_place:
            pool = {"pool_size": SQLITE_READ_POOL, "max_overflow": SQLITE_READ_OVERFLOW}
        else:
            pool = {"pool_size": SQLITE_BACKGROUND_POOL, "max_overflow": SQLITE_READ_OVERFLOW}
    # The same sqlite3.connect arguments SQLAlchemy would derive from the URL, given to
    # connections that run statements in place (hub.sqlite_driver says why); a statement
    # that meets another connection's lock waits for it on the connection's thread.
    database, kwargs = _connect_args(url)
    kwargs["timeout"] = busy_timeout_ms / 1000
    creator = connector(database, commit_in_thread=immediate, in_place=in_place, **kwargs)
    engine = create_async_engine(url, async_creator=creator, **pool)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; we issue it ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged write must survive a crash, not only a clean exit.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # On the driver's cursor, not exec_driver_sql: every transaction begins here, and a
        # statement through SQLAlchemy's execution machinery (events, context, result) cost
        # more than BEGIN itself.
        conn.connection.dbapi_connection.cursor().execute(begin)

    return engine


def _instant_reads(url: str, dialect: Dialect) -> InstantReads | None:
    """Instant reads for a SQLite file (an in-memory database has no file to open twice),
    converting columns as ``dialect``, the read engine's, does."""
    if _in_memory(url):
        return None
    database, kwargs = _connect_args(url)
    return InstantReads(database, dialect, **kwargs)


class Database:
    """The hub's database: a write engine, a read engine and their session factories."""

    def __init__(
        self,
        url: str,
        *,
        # One default, the settings': a Database opened without them waits and pools as the
        # app does.
        busy_timeout_ms: int = Settings.model_fields["sqlite_busy_timeout_ms"].default,
        pool_size: int = Settings.model_fields["db_pool_size"].default,
        max_overflow: int = Settings.model_fields["db_max_overflow"].default,
    ) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        if self.sqlite:
            self.engine = _sqlite_engine(url, busy_timeout_ms, immediate=True)
            self.read_engine = _sqlite_engine(url, busy_timeout_ms, immediate=False)
            # Reads off the requests' path run on their connections' threads: a reconnect
            # storm's catch-ups and snapshots then overlap the handshakes the event loop
            # answers (in place, the storm took 2.0-2.1 x the bare server, 1.6 x so).
            self.background_engine = _sqlite_engine(
                url, busy_timeout_ms, immediate=False, in_place=False
            )
            self.instant = _instant_reads(url, self.read_engine.dialect)
        else:
            # Settings.db_pool_size says why the pool is larger than the overflow.
            self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow)
            # Reads see one snapshot across statements, so totals and the event id they are
            # "as of" always agree. Shares the write engine's pool.
            self.read_engine = self.engine.execution_options(isolation_level="REPEATABLE READ")
            self.background_engine = self.read_engine
            self.instant = None
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Read sessions only: a write must read inside its own transaction.
        self.read_sessions = async_sessionmaker(
            self.read_engine, expire_on_commit=False, info={_INSTANT: self.instant}
        )
        #: Read sessions for work off the requests' path (the live stream's reader).
        self.background_sessions = async_sessionmaker(
            self.background_engine, expire_on_commit=False
        )
        # Called after a commit that appended events (the live stream listens here).
        self.after_events: list[Callable[[], None]] = []
        # Called after a commit that wrote a mail to the outbox (its sender listens here).
        self.after_mail: list[Callable[[], None]] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """Open the configured database with its configured timeouts and pool."""
        return cls(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self.instant is not None:
            self.instant.close()
        if self.sqlite:
            await self.read_engine.dispose()
            await self.background_engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session that commits on success and rolls back on error."""
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if session.info.pop("events_appended", False):
            for callback in list(self.after_events):
                callback()
        if session.info.pop("hub_mail_enqueued", False):
            for callback in list(self.after_mail):
                callback()

    async def first_row(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> Mapping[Any, Any] | None:
        """The first row of a read that is one statement, by column name, or None.

        On a SQLite file it runs at once on a connection of its own (``hub.instant_reads``
        says why and when it cannot), else in a read session of its own.
        """
        if self.instant is not None:
            try:
                return self.instant.first(statement, params)
            except Unavailable:
                pass
        async with self.read_sessions() as session:
            return (await column_rows(session, statement, params)).mappings().first()

    async def write(self) -> AsyncIterator[AsyncSession]:
        """Yield a :meth:`transaction` session (the form FastAPI dependencies take)."""
        async with self.transaction() as session:
            yield session

    async def read(self) -> AsyncIterator[AsyncSession]:
        """Yield a session for reading only."""
        async with self.read_sessions() as session:
            yield session
