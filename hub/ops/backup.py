"""``hub backup FILE`` and ``hub restore FILE``: SQLite's online backup, PostgreSQL's pg_dump.

SQLite: ``sqlite3.Connection.backup`` copies the database page by page from one read
transaction, so the copy is consistent while the hub keeps serving (WAL mode: writers go on).
Restoring copies the file back the same way, into the database's own file (its WAL included).

PostgreSQL: ``pg_dump -Fc`` (the custom format: compressed, restored selectively) reads one
snapshot while the hub serves; ``pg_restore --clean --if-exists --single-transaction`` drops
and recreates the hub's tables, all or nothing. Both programs come with PostgreSQL's client
(Debian: ``postgresql-client``), the same major version as the server or newer. The password,
if any, goes through ``PGPASSWORD``, never the command line.

Restoring replaces everything: stop the hub first (``hub serve`` migrates a restored older
database on its next start).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from hub.db import is_sqlite


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite+aiosqlite:///FILE`` URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _pg_command(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq connection options for ``pg_dump``/``pg_restore`` and their environment."""
    args = ["--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database at ``url`` to ``target`` (replaced whole)."""
    partial = target.with_name(target.name + ".partial")
    if is_sqlite(url):
        source_path = sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"{source_path} does not exist")
        partial.unlink(missing_ok=True)
        source = sqlite3.connect(source_path)
        copy = sqlite3.connect(partial)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        parsed = make_url(url)
        args, env = _pg_command(parsed)
        command = [_program("pg_dump"), *args, "--format=custom", "--no-owner", "--file"]
        _run([*command, str(partial), "--dbname", str(parsed.database)], env)
    # Renamed only when complete: an interrupted backup never looks like a good one.
    partial.replace(target)


def check_sqlite_backup(path: Path) -> None:
    """Refuse anything but an intact SQLite file that holds a hub database."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
    if not {"alembic_version", "events"} <= tables:
        raise BackupError(f"{path} is not a backup of the hub")


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup ``source``."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    if is_sqlite(url):
        check_sqlite_backup(source)
        copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(sqlite_path(url))
        try:
            with target:
                copy.backup(target)
        finally:
            target.close()
            copy.close()
    else:
        parsed = make_url(url)
        args, env = _pg_command(parsed)
        _run(
            [
                _program("pg_restore"),
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                str(parsed.database),
                str(source),
            ],
            env,
        )
