"""The per-test databases: migrated to the head, each test's own, and no leftovers between runs."""

import subprocess
import sys

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from support.databases import PostgresTemplates, run_async

from hub.migrate import alembic_config

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def _scalar(url: str, sql: str) -> object:
    """Run one statement in a transaction that commits; return its one value."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            return (await conn.execute(text(sql))).scalar_one()
    finally:
        await engine.dispose()


async def test_each_test_gets_a_migrated_empty_database(database_url: str) -> None:
    assert await _scalar(database_url, "SELECT version_num FROM alembic_version") == HEAD
    assert await _scalar(database_url, "SELECT count(*) FROM users") == 0


@pytest.mark.postgres
def test_a_commit_in_one_copy_is_not_in_another(
    postgres_templates: PostgresTemplates, postgres_database_url: str
) -> None:
    name, other = postgres_templates.create()
    try:
        insert = "INSERT INTO alembic_version VALUES ('x') RETURNING 1"
        run_async(lambda: _scalar(postgres_database_url, insert))
        count = "SELECT count(*) FROM alembic_version"
        assert run_async(lambda: _scalar(postgres_database_url, count)) == 2
        assert run_async(lambda: _scalar(other, count)) == 1
    finally:
        postgres_templates.drop(name)


@pytest.mark.postgres
def test_databases_of_dead_runs_are_stale_ours_are_not(
    postgres_templates: PostgresTemplates,
) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    leftover = f"{postgres_templates.family}{int(finished.stdout)}_1"
    run_async(lambda: postgres_templates.execute(f'CREATE DATABASE "{leftover}"'))
    try:
        stale = run_async(postgres_templates.stale)
        assert leftover in stale
        assert postgres_templates.template not in stale
    finally:
        run_async(lambda: postgres_templates.execute(f'DROP DATABASE IF EXISTS "{leftover}"'))
