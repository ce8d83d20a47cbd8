"""``hub backup`` and ``hub restore``: round trips on SQLite and PostgreSQL, rows and totals."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from support.scenario import Hub
from support.server import HUB, server_env

from hub.db import Base

TABLES = sorted(Base.metadata.tables)


async def rows(app: Any) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows (in primary-key order)."""
    out = {}
    async with app.state.db.read_sessions() as session:
        for name in TABLES:
            table = Base.metadata.tables[name]
            keys = ", ".join(c.name for c in table.primary_key.columns) or "1"
            found = (await session.execute(text(f"SELECT * FROM {name} ORDER BY {keys}"))).all()
            digest = hashlib.sha256(repr([tuple(r) for r in found]).encode()).hexdigest()
            out[name] = (len(found), digest)
    return out


async def totals(client: httpx.AsyncClient) -> Any:
    """The national totals, as a dashboard reads them."""
    r = await client.get("/api/v1/stats")
    assert r.status_code == 200
    return r.json()["totals"]


def hub_command(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``hub ARGS`` on ``database_url``, as an operator would."""
    return subprocess.run(
        [*HUB, *args],
        env=server_env(database_url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_backup_then_restore_gives_back_the_same_rows_and_totals(
    database_url: str, app: Any, client: httpx.AsyncClient, hub: Hub, tmp_path: Path
) -> None:
    """Back up while the app is open, change things, restore: every row and total as before."""
    staff = await hub.account("hospital_staff")
    maker = await hub.account("maker")
    hospital = await hub.site(staff, "hospitals")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"], quantity=300)
    await hub.claim(maker, need["id"], lab["id"], 120)
    before_rows, before_totals = await rows(app), await totals(client)
    assert before_rows["needs"][0] == 1 and before_rows["events"][0] > 0

    file = tmp_path / "hub.backup"
    done = hub_command(database_url, "backup", str(file), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert file.stat().st_size > 0
    assert not file.with_name("hub.backup.partial").exists()

    await hub.need(staff, hospital["id"], quantity=50)
    await hub.account("maker")
    assert await rows(app) != before_rows
    # Restoring replaces the tables under the app: its pooled connections go first.
    await app.state.db.dispose()
    done = hub_command(database_url, "restore", str(file), "--yes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert await rows(app) == before_rows
    assert await totals(client) == before_totals
    assert (await client.get("/readyz")).status_code == 200


def test_restore_refuses_what_is_not_a_backup(sqlite_database_url: str, tmp_path: Path) -> None:
    """A file that is not a hub backup changes nothing and says why."""
    path = sqlite_database_url.split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        before = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n" * 100)
    done = hub_command(sqlite_database_url, "restore", str(junk), "--yes", cwd=tmp_path)
    assert done.returncode == 1
    assert "not a SQLite database" in " ".join(done.stderr.split())
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    done = hub_command(sqlite_database_url, "restore", str(other), "--yes", cwd=tmp_path)
    assert done.returncode == 1 and "not a backup of the hub" in " ".join(done.stderr.split())
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == before


@pytest.mark.parametrize("answer", ["n\n"])
def test_restore_asks_first(sqlite_database_url: str, tmp_path: Path, answer: str) -> None:
    """Without --yes, restore asks, and a no leaves the database alone."""
    file = tmp_path / "b.sqlite"
    assert hub_command(sqlite_database_url, "backup", str(file), cwd=tmp_path).returncode == 0
    done = subprocess.run(
        [*HUB, "restore", str(file)],
        env=server_env(sqlite_database_url),
        cwd=tmp_path,
        input=answer,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Restored" not in done.stdout
