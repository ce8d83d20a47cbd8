"""Fixtures shared by the hub's tests: a fresh database (SQLite or PostgreSQL) and a client.

API tests run twice, on SQLite and on the PostgreSQL named by ``HUB_TEST_DATABASE_URL``.
Without that variable the PostgreSQL half skips, unless ``HUB_REQUIRE_POSTGRES=1`` (set by
``.ci/run``), in which case it fails: CI must never pass by skipping them.
"""

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from tests_support import PASSWORD, Account

from hub.config import Settings
from hub.db import Database
from hub.main import create_app
from hub.migrate import upgrade

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("HUB_REQUIRE_POSTGRES") == "1"


async def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema so each test starts from nothing."""
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(autouse=True)
def cheaper_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with lighter parameters: tests sign up hundreds of accounts."""
    from argon2 import PasswordHasher

    from hub.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    """A migrated, empty database: a SQLite file, or the test PostgreSQL reset."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"
    else:
        if not PG_URL:
            if REQUIRE_PG:
                pytest.fail("HUB_TEST_DATABASE_URL is not set but PostgreSQL tests are required")
            pytest.skip("set HUB_TEST_DATABASE_URL to run the PostgreSQL tests")
        url = PG_URL
        await reset_postgres(url)
    db = Database(url)
    await upgrade(db.engine)
    await db.dispose()
    yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for a test app (rate limit lifted; a dedicated test checks it)."""
    return Settings(database_url=database_url, auth_rate_per_minute=100_000)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    """The hub application on the test database."""
    application = create_app(settings)
    yield application
    await application.state.db.dispose()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process over ASGI."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
        yield c


class Hub:
    """Shortcuts to build a scenario through the real API."""

    def __init__(self, client: httpx.AsyncClient, app: Any) -> None:
        self.client = client
        self.app = app
        self._n = 0

    async def account(self, role: str, area: str | None = None) -> Account:
        """Sign up (or, for coordinators and admins, create) an account and sign in."""
        self._n += 1
        email = f"{role}{self._n}@example.org"
        if role in ("coordinator", "admin"):
            from hub.auth.service import create_user

            async with self.app.state.db.transaction() as session:
                await create_user(
                    session, email=email, password=PASSWORD, name=role, role=role, area=area
                )
            r = await self.client.post(
                "/api/v1/auth/token", json={"email": email, "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            me = await self.client.get(
                "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
            )
            return Account(me.json()["id"], email, role, r.json()["access_token"])
        r = await self.client.post(
            "/api/v1/auth/signup",
            json={"email": email, "password": PASSWORD, "name": f"{role} {self._n}", "role": role},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        return Account(body["user"]["id"], email, role, body["access_token"])

    async def site(
        self, who: Account, type: str, lat: float = 45.1885, lon: float = 5.7245, **extra: Any
    ) -> dict[str, Any]:
        """Create a hospital or lab (Grenoble by default)."""
        kind = "hospital" if type == "hospitals" else "fablab"
        body = {
            "name": f"{type} of test",
            "kind": kind,
            "address": "1 rue du Test",
            "lat": lat,
            "lon": lon,
            "contact_name": "Dr Contact",
            "contact_phone": "+33 4 76 00 00 00",
            **extra,
        }
        r = await self.client.post(f"/api/v1/{type}", json=body, headers=who.headers)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def verified(self, type: str, site_id: int) -> None:
        """Verify a site with a national coordinator."""
        coordinator = await self.account("coordinator")
        r = await self.client.post(f"/api/v1/{type}/{site_id}/verify", headers=coordinator.headers)
        assert r.status_code == 200, r.text

    async def need(
        self, staff: Account, hospital_id: int, quantity: int = 100, **extra: Any
    ) -> dict[str, Any]:
        """Post a need due in a week."""
        from datetime import timedelta

        from hub.timeutil import today

        body = {
            "hospital_id": hospital_id,
            "design": "face-shield-prusa-rc3",
            "quantity": quantity,
            "needed_by": (today() + timedelta(days=7)).isoformat(),
            "priority": "high",
            **extra,
        }
        r = await self.client.post("/api/v1/needs", json=body, headers=staff.headers)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def claim(
        self, maker: Account, need_id: int, lab_id: int, quantity: int
    ) -> dict[str, Any]:
        """Claim part of a need for a lab; return the new batch."""
        r = await self.client.post(
            f"/api/v1/needs/{need_id}/claims",
            json={"lab_id": lab_id, "quantity": quantity},
            headers=maker.headers,
        )
        assert r.status_code == 201, r.text
        return dict(r.json())


@pytest.fixture
def sqlite_server(tmp_path: Any) -> Iterator[Any]:
    """A real ``hub serve`` on a fresh SQLite file (for the browser tests)."""
    from serverproc import HubProcess

    server = HubProcess(
        f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}", tmp_path, HUB_AUTH_RATE_PER_MINUTE="10000"
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hub(client: httpx.AsyncClient, app: Any) -> Hub:
    """Scenario shortcuts bound to the test client."""
    return Hub(client, app)
