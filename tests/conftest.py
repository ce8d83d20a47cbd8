"""Fixtures shared by the hub's tests: a migrated database (SQLite or PostgreSQL), an app, a
client, scenario shortcuts and real ``hub serve`` processes.

API tests run twice, on SQLite and on the PostgreSQL named by ``HUB_TEST_DATABASE_URL``.
Without that variable the PostgreSQL half skips, unless ``HUB_REQUIRE_POSTGRES=1`` (set by
``.ci/run``), in which case it fails: CI must never pass by skipping them.

Each kind of database is migrated once per run into a template; every test gets its own copy
(``support.databases``) and commits for real.
"""

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.data import LIFTED_LIMITS
from support.databases import PostgresTemplates, SqliteTemplate, sqlite_url
from support.invariants import assert_deltas_add_up
from support.scenario import Hub
from support.server import HubProcess

from hub.config import Settings
from hub.main import create_app

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("HUB_REQUIRE_POSTGRES") == "1"

BOTH_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def require_postgres() -> str:
    """The test PostgreSQL's URL; skip without one, or fail when PostgreSQL is required."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("HUB_TEST_DATABASE_URL is not set but PostgreSQL tests are required")
        pytest.skip("set HUB_TEST_DATABASE_URL to run the PostgreSQL tests")
    return PG_URL


@pytest.fixture(autouse=True)
def cheaper_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with lighter parameters: tests sign up hundreds of accounts."""
    from argon2 import PasswordHasher

    from hub.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """A SQLite file migrated once per run (per xdist worker, if any)."""
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_templates() -> Iterator[PostgresTemplates]:
    """This run's PostgreSQL template, migrated once; all the run's databases go at the end.

    Dropped whether tests failed or not; a run killed before that is cleaned up by the next.
    """
    templates = PostgresTemplates(require_postgres())
    try:
        templates.start()
        yield templates
    finally:
        templates.close()


@pytest.fixture
def sqlite_database_url(sqlite_template: SqliteTemplate, tmp_path: Path) -> str:
    """A migrated SQLite database of this test's own: a copy of the template."""
    return sqlite_template.copy(tmp_path / "hub.sqlite")


@pytest.fixture
def postgres_database_url(postgres_templates: PostgresTemplates) -> Iterator[str]:
    """A migrated PostgreSQL database of this test's own, dropped after it."""
    name, url = postgres_templates.create()
    yield url
    postgres_templates.drop(name)


@pytest.fixture(params=BOTH_KINDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of this test's own, on SQLite, then on PostgreSQL."""
    if request.param == "postgres":
        require_postgres()
    return str(request.getfixturevalue(f"{request.param}_database_url"))


@pytest.fixture(params=BOTH_KINDS)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, not migrated: for what must migrate one itself."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "blank.sqlite")
        return
    require_postgres()
    templates: PostgresTemplates = request.getfixturevalue("postgres_templates")
    name, url = templates.create(migrated=False)
    yield url
    templates.drop(name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for a test app (rate limits lifted; tests/hub/limits check them)."""
    return Settings(database_url=database_url, **LIFTED_LIMITS)


@pytest.fixture
async def app(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The hub application on the test database; afterwards, its events' deltas must add up
    to a recount (``support.invariants``) unless the test changed the tables by hand."""
    application = create_app(settings)
    yield application
    try:
        if request.node.get_closest_marker("tables_changed_by_hand") is None:
            await assert_deltas_add_up(application.state.db)
    finally:
        await application.state.db.dispose()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process over ASGI."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
        yield c


@pytest.fixture
def hub(client: httpx.AsyncClient, app: Any) -> Hub:
    """Scenario shortcuts bound to the test client."""
    return Hub(client, app)


@pytest.fixture
def serve_hub(tmp_path: Path) -> Iterator[Callable[..., HubProcess]]:
    """Start real ``hub serve`` processes: ``serve_hub(database_url, **settings)``.

    It returns a ready ``HubProcess``. Every one is stopped after the test and its log printed,
    which pytest shows when the test fails.
    """
    servers: list[HubProcess] = []

    def start(database_url: str, **settings: Any) -> HubProcess:
        server = HubProcess(database_url, tmp_path, **settings)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
    for server in servers:
        print(f"--- {server.log} ---\n{server.log_text()}")


@pytest.fixture
def sqlite_server(serve_hub: Callable[..., HubProcess], sqlite_database_url: str) -> HubProcess:
    """A real ``hub serve`` on a SQLite database of this test's own (for the browser tests)."""
    return serve_hub(sqlite_database_url)
