"""Test databases: each kind is migrated once per run into a template, then copied per test.

Migrating a fresh database for every test (and wiping the shared PostgreSQL one) cost about a
third of the API tests' time, and grows with every migration. A SQLite test now gets a plain
copy of a migrated template file; a PostgreSQL test gets ``CREATE DATABASE ... TEMPLATE`` of a
template database migrated once per run. Tests keep real commits, so ``hub serve``
subprocesses and LISTEN/NOTIFY see what a test writes.

PostgreSQL databases are named ``<base>_<host>_<pid>_<suffix>``, where ``<base>`` is the
database of ``HUB_TEST_DATABASE_URL`` (which also serves as the maintenance connection):
several runs and agents can share one server, and a run drops the leftovers of runs from this
host whose process is gone (killed with -9, say).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import os
import queue
import re
import shutil
import socket
import sqlite3
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import URL, make_url

from hub.db import Database
from hub.migrate import upgrade

T = TypeVar("T")

# Keeps every generated name under PostgreSQL's 63-byte limit, past which it truncates names
# silently (and two runs' names could then collide).
_BASE_MAX = 30


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a loop of its own, in a thread of its own.

    Fixtures call this from anywhere: in its own thread, ``asyncio.run`` neither meets a running
    loop nor resets the event loop pytest-asyncio set for the main thread.
    """
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as e:  # re-raised in the caller's thread, below
            errors.append(e)

    thread = threading.Thread(target=target, name="test-databases")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


async def migrate(url: str) -> None:
    """Apply every migration to the database at ``url``, as ``hub serve`` does."""
    db = Database(url)
    try:
        await upgrade(db.engine)
    finally:
        # A connection left open to a PostgreSQL template makes CREATE DATABASE ... TEMPLATE fail.
        await db.dispose()


def sqlite_url(path: Path) -> str:
    """The hub's URL for a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


class SqliteTemplate:
    """A migrated SQLite file, copied for each test."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.sqlite"
        run_async(lambda: migrate(sqlite_url(self.path)))
        # The hub opens SQLite in WAL mode, where recent pages may sit in a -wal file beside the
        # main one. Leaving WAL merges them and deletes that file, so copying the main file alone
        # copies everything. The hub turns WAL back on when it opens a copy.
        with contextlib.closing(sqlite3.connect(self.path)) as conn:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        assert mode == "delete", mode
        leftovers = [p for p in (Path(f"{self.path}-wal"), Path(f"{self.path}-shm")) if p.exists()]
        assert not leftovers, f"the template is not one self-contained file: {leftovers}"

    def copy(self, path: Path) -> str:
        """Copy the template to ``path`` and return the copy's URL."""
        shutil.copyfile(self.path, path)
        return sqlite_url(path)


def _host_tag() -> str:
    """Six hex digits naming this host, so a run judges only its own host's process ids."""
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _quote(name: str) -> str:
    assert re.fullmatch(r"[a-z0-9_]+", name), name
    return f'"{name}"'


class PostgresTemplates:
    """A template database migrated once, and per-test databases created from it.

    ``CREATE DATABASE ... TEMPLATE`` copies the whole template, system catalogs included (about
    8 MB): 0.15 to 0.3 s here, as long as migrating today's small schema. So a worker thread
    creates copies ahead of the tests that will take them, and drops used ones behind them,
    while the tests run: a test waits for a copy only when the worker falls behind.
    """

    def __init__(self, url: str, *, ahead: int = 2) -> None:
        self.url: URL = make_url(url)
        base = re.sub(r"[^a-z0-9_]", "_", (self.url.database or "hub_test").lower())[:_BASE_MAX]
        self.family = f"{base}_{_host_tag()}_"
        self.prefix = f"{self.family}{os.getpid()}_"
        self.template = f"{self.prefix}template"
        self.ahead = ahead
        self.created: set[str] = set()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        # Jobs for the worker, in order: ("create", name), ("drop", name), or None to stop.
        self._jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        # Copies the worker made: (name, None), or (name, the error that stopped it).
        self._ready: queue.Queue[tuple[str, BaseException | None]] = queue.Queue()
        self._drop_errors: list[BaseException] = []
        self._worker: threading.Thread | None = None

    @property
    def _dsn(self) -> str:
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def url_of(self, database: str) -> str:
        """The SQLAlchemy URL of another database on the same server."""
        return self.url.set(database=database).render_as_string(hide_password=False)

    async def execute(self, *statements: str) -> None:
        """Run statements outside any transaction (as CREATE DATABASE needs) on the server."""
        conn = await asyncpg.connect(self._dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def stale(self) -> list[str]:
        """The databases that runs on this host left behind when their process died."""
        conn = await asyncpg.connect(self._dsn)
        try:
            names = [r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")]
        finally:
            await conn.close()
        pattern = re.compile(rf"{re.escape(self.family)}(\d+)_[a-z0-9_]+")
        return [
            name
            for name in names
            if (m := pattern.fullmatch(name))
            and int(m.group(1)) != os.getpid()
            and not _pid_alive(int(m.group(1)))
        ]

    def start(self) -> None:
        """Drop dead runs' leftovers, create and migrate this run's template, start copying."""
        run_async(self._start)
        self._worker = threading.Thread(target=self._work, name="test-databases", daemon=True)
        self._worker.start()
        for _ in range(self.ahead):
            self._jobs.put(("create", self._new_name()))

    async def _start(self) -> None:
        # FORCE: a hub serve orphaned by a killed run may still hold a connection.
        await self.execute(
            *(f"DROP DATABASE IF EXISTS {_quote(n)} WITH (FORCE)" for n in await self.stale())
        )
        self.created.add(self.template)
        await self.execute(f"CREATE DATABASE {_quote(self.template)} TEMPLATE template0")
        await migrate(self.url_of(self.template))
        # Nobody may connect to the template from now on: a connection would make the next
        # CREATE DATABASE ... TEMPLATE fail.
        await self.execute(f"ALTER DATABASE {_quote(self.template)} WITH ALLOW_CONNECTIONS false")

    def _new_name(self) -> str:
        with self._lock:
            name = f"{self.prefix}{next(self._numbers)}"
            self.created.add(name)
        return name

    def _work(self) -> None:
        """The worker: one connection, one loop, jobs in the order they came."""
        loop = asyncio.new_event_loop()
        try:
            conn = loop.run_until_complete(asyncpg.connect(self._dsn))
        except BaseException as e:
            self._fail_all(e)
            loop.close()
            return
        try:
            while (job := self._jobs.get()) is not None:
                action, name = job
                try:
                    if action == "create":
                        sql = f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(self.template)}"
                    else:
                        # FORCE: a connection a test or a server left open must not keep it.
                        sql = f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)"
                    loop.run_until_complete(conn.execute(sql))
                except BaseException as e:
                    if action == "create":
                        self._ready.put((name, e))
                    else:
                        self._drop_errors.append(e)
                    continue
                if action == "create":
                    self._ready.put((name, None))
                else:
                    with self._lock:
                        self.created.discard(name)
        finally:
            loop.run_until_complete(conn.close())
            loop.close()

    def _fail_all(self, error: BaseException) -> None:
        # Whoever waits for a copy gets the error instead of waiting forever.
        for _ in range(self.ahead + 1):
            self._ready.put(("", error))

    def create(self, *, migrated: bool = True, timeout: float = 120.0) -> tuple[str, str]:
        """Give a test its own database, a copy of the template (or empty): name and URL."""
        if not migrated:
            name = self._new_name()
            run_async(lambda: self.execute(f"CREATE DATABASE {_quote(name)} TEMPLATE template0"))
            return name, self.url_of(name)
        assert self._worker is not None, "start() first"
        # Order the next copy before waiting for this one, so the worker keeps ahead.
        self._jobs.put(("create", self._new_name()))
        name, error = self._ready.get(timeout=timeout)
        if error is not None:
            raise RuntimeError(f"could not create the test database {name}") from error
        return name, self.url_of(name)

    def drop(self, name: str) -> None:
        """Drop a database of this run, behind the test: the worker does it."""
        self._jobs.put(("drop", name))

    def close(self) -> None:
        """Stop the worker, then drop every database of this run, the template last.

        Each one is dropped whatever happens to the others.
        """
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join(timeout=120)
        errors = list(self._drop_errors)
        for name in [*sorted(self.created - {self.template}), self.template]:
            try:
                run_async(
                    lambda name=name: self.execute(
                        f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)"
                    )
                )
            except Exception as e:
                errors.append(e)
            else:
                self.created.discard(name)
        if errors:
            raise errors[0]
