"""Rate limits in one process: what is counted, per account and per address, and the 429.

The holes they close: "a 429 has no Retry-After", and limits kept in each process's memory.
Two real processes behind a proxy are in ``test_shared_limits.py``.
"""

import math
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from support.data import PASSWORD
from support.redis_server import REDIS_URL, require_redis
from support.scenario import Hub

from hub.config import Settings
from hub.limits.storage import DatabaseStorage
from hub.main import create_app
from hub.timeutil import today

LIFTED = 100_000


@asynccontextmanager
async def hub_app(database_url: str, **limits: Any) -> AsyncIterator[Callable[..., Any]]:
    """An app with these limits; yields ``client(address)`` making a client from that address."""
    settings = Settings(
        database_url=database_url,
        **{
            "auth_rate_per_minute": LIFTED,
            "account_rate_per_minute": LIFTED,
            "need_rate_per_minute": LIFTED,
            "need_address_rate_per_minute": LIFTED,
            "invite_rate_per_hour": LIFTED,
            **limits,
        },
    )
    app = create_app(settings)
    clients: list[httpx.AsyncClient] = []

    def client(address: str = "203.0.113.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        c = httpx.AsyncClient(transport=transport, base_url="http://hub.test")
        clients.append(c)
        return c

    client.app = app  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        for c in clients:
            await c.aclose()
        await app.state.limiter.close()
        await app.state.db.dispose()


async def _sign_in(c: httpx.AsyncClient, email: str, **kw: Any) -> httpx.Response:
    return await c.post(
        "/api/v1/auth/token", json={"email": email, "password": "not the password"}, **kw
    )


async def test_429_says_when_to_try_again(database_url: str) -> None:
    async with hub_app(database_url, auth_rate_per_minute=2) as client:
        c = client()
        codes = [(await _sign_in(c, f"u{i}@example.org")).status_code for i in range(2)]
        assert codes == [401, 401]
        r = await _sign_in(c, "u9@example.org", headers={"Accept-Language": "fr"})
    assert r.status_code == 429
    assert r.json()["type"] == "too_many_requests"
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert f"{wait}\u00a0seconde" in r.json()["detail"] or f"{wait} seconde" in r.json()["detail"]


async def test_sign_in_is_limited_per_address_across_accounts(database_url: str) -> None:
    async with hub_app(database_url, auth_rate_per_minute=3) as client:
        attacker, neighbour = client("203.0.113.66"), client("198.51.100.2")
        codes = [(await _sign_in(attacker, f"u{i}@example.org")).status_code for i in range(5)]
        assert codes == [401, 401, 401, 429, 429]
        # Another address is not affected.
        assert (await _sign_in(neighbour, "u1@example.org")).status_code == 401


async def test_sign_in_is_limited_per_account_across_addresses(database_url: str) -> None:
    """Guessing one account's password from many addresses runs into the account's limit."""
    async with hub_app(database_url, account_rate_per_minute=3) as client:
        codes = [
            (await _sign_in(client(f"203.0.113.{i}"), "Victim@Example.org ")).status_code
            for i in range(5)
        ]
        assert codes == [401, 401, 401, 429, 429]
        assert (await _sign_in(client("203.0.113.99"), "other@example.org")).status_code == 401


async def test_a_forged_forwarded_for_is_ignored_from_an_untrusted_peer(database_url: str) -> None:
    async with hub_app(database_url, auth_rate_per_minute=3) as client:
        c = client("203.0.113.66")
        codes = [
            (
                await _sign_in(
                    c, f"u{i}@example.org", headers={"X-Forwarded-For": f"198.51.100.{i}"}
                )
            ).status_code
            for i in range(5)
        ]
    assert codes == [401, 401, 401, 429, 429]


async def test_sign_up_is_limited(database_url: str) -> None:
    async with hub_app(database_url, auth_rate_per_minute=2) as client:
        c = client()
        codes = []
        for i in range(3):
            body = {
                "email": f"n{i}@example.org",
                "password": PASSWORD,
                "name": "N",
                "role": "maker",
            }
            codes.append((await c.post("/api/v1/auth/signup", json=body)).status_code)
    assert codes == [201, 201, 429]


async def test_password_reset_request_and_use_are_limited(database_url: str) -> None:
    async with hub_app(database_url, auth_rate_per_minute=2) as client:
        c = client()
        asks = [
            (
                await c.post("/api/v1/auth/password-reset", json={"email": f"r{i}@example.org"})
            ).status_code
            for i in range(3)
        ]
        uses = [
            (
                await c.post(
                    "/api/v1/auth/password-reset/confirm",
                    json={"token": f"guess-{i}", "password": "a brand new passphrase"},
                )
            ).status_code
            for i in range(3)
        ]
    assert asks == [202, 202, 429]
    assert uses == [422, 422, 429]


async def test_password_reset_request_is_limited_per_email(database_url: str) -> None:
    async with hub_app(database_url, account_rate_per_minute=2) as client:
        codes = [
            (
                await client(f"203.0.113.{i}").post(
                    "/api/v1/auth/password-reset", json={"email": "ana@example.org"}
                )
            ).status_code
            for i in range(3)
        ]
    assert codes == [202, 202, 429]


async def test_guessing_the_current_password_is_limited(database_url: str) -> None:
    """A stolen session cannot be used to guess the password through the change form."""
    async with hub_app(database_url, account_rate_per_minute=3) as client:
        hub = Hub(client(), client.app)  # type: ignore[attr-defined]
        ana = await hub.account("maker")
        codes = [
            (
                await hub.client.post(
                    "/api/v1/auth/password",
                    json={"current_password": f"guess {i}", "new_password": "a new passphrase"},
                    headers=ana.headers,
                )
            ).status_code
            for i in range(4)
        ]
    # The sign-up used one attempt of the account's three.
    assert codes == [403, 403, 429, 429]


async def test_need_creation_is_limited_per_user_and_per_address(database_url: str) -> None:
    async with hub_app(
        database_url, need_rate_per_minute=2, need_address_rate_per_minute=3
    ) as client:
        c = client("203.0.113.5")
        hub = Hub(c, client.app)  # type: ignore[attr-defined]
        staff, other = await hub.account("hospital_staff"), await hub.account("hospital_staff")
        hospitals = [(await hub.site(who, "hospitals"))["id"] for who in (staff, other)]

        async def post(who: Any, hospital_id: int, via: httpx.AsyncClient) -> int:
            body = {
                "hospital_id": hospital_id,
                "design": "ear-saver",
                "quantity": 10,
                "needed_by": (today() + timedelta(days=5)).isoformat(),
                "priority": "normal",
            }
            r = await via.post("/api/v1/needs", json=body, headers=who.headers)
            return r.status_code

        per_user = [await post(staff, hospitals[0], client(f"198.51.100.{i}")) for i in range(3)]
        assert per_user == [201, 201, 429]
        # From one address: three needs a minute at most, whoever posts them.
        third = await hub.account("hospital_staff")
        site = (await hub.site(third, "hospitals"))["id"]
        from_one = [await post(other, hospitals[1], c) for _ in range(2)]
        from_one += [await post(third, site, c) for _ in range(2)]
        assert from_one == [201, 201, 201, 429]


async def test_invitations_are_limited_per_inviter(database_url: str) -> None:
    """Each invitation mails its address: a member cannot flood someone's mailbox with them."""
    async with hub_app(database_url, invite_rate_per_hour=2) as client:
        c = client()
        hub = Hub(c, client.app)  # type: ignore[attr-defined]
        maker, other = await hub.account("maker"), await hub.account("maker")
        lab = await hub.site(maker, "labs")
        url = f"/api/v1/labs/{lab['id']}/members"
        sent = [
            await c.post(url, json={"email": "victim@example.org"}, headers=maker.headers)
            for _ in range(3)
        ]
        assert [r.status_code for r in sent] == [202, 202, 429]
        assert int(sent[2].headers["Retry-After"]) > 60  # an hour's window
        assert "invitations" in sent[2].json()["detail"]
        # Another member's count is their own.
        lab_other = await hub.site(other, "labs")
        r = await c.post(
            f"/api/v1/labs/{lab_other['id']}/members",
            json={"email": "victim@example.org"},
            headers=other.headers,
        )
        assert r.status_code == 202, r.text


async def test_limits_are_shared_by_two_apps_on_one_database(database_url: str) -> None:
    """Two processes (here two apps, two engines) count against the same limit."""
    async with (
        hub_app(database_url, auth_rate_per_minute=3) as first,
        hub_app(database_url, auth_rate_per_minute=3) as second,
    ):
        a, b = first("203.0.113.7"), second("203.0.113.7")
        codes = [
            (await _sign_in(x, f"u{i}@example.org")).status_code
            for i, x in enumerate([a, b, a, b, a])
        ]
    assert codes == [401, 401, 401, 429, 429]


async def test_limits_are_shared_through_redis(sqlite_database_url: str, tmp_path: Any) -> None:
    require_redis()
    prefix = f"hub-test-{uuid.uuid4().hex}"
    other = str(tmp_path / "other.sqlite")
    import shutil

    shutil.copy(sqlite_database_url.split("///", 1)[1], other)
    async with (
        hub_app(
            sqlite_database_url, auth_rate_per_minute=3, limits_url=REDIS_URL, limits_prefix=prefix
        ) as first,
        hub_app(
            f"sqlite+aiosqlite:///{other}",
            auth_rate_per_minute=3,
            limits_url=REDIS_URL,
            limits_prefix=prefix,
        ) as second,
    ):
        # Two databases: only Redis links the two apps.
        a, b = first("203.0.113.7"), second("203.0.113.7")
        codes = [
            (await _sign_in(x, f"u{i}@example.org")).status_code for i, x in enumerate([a, b, a, b])
        ]
        retry = await _sign_in(b, "u9@example.org")
    assert codes == [401, 401, 401, 429]
    assert 1 <= int(retry.headers["Retry-After"]) <= 60


# --- The database storage behind the limits library ---------------------------------------------


async def test_database_storage_counts_and_expires(database_url: str) -> None:
    from hub.db import Database

    db = Database(database_url)
    storage = DatabaseStorage(db)
    try:
        assert await storage.check()
        assert await storage.get("k") == 0
        assert [await storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
        assert await storage.get("k") == 3
        assert time.time() + 50 < await storage.get_expiry("k") <= time.time() + 61
        # A window that has run out starts again from zero.
        assert await storage.incr("short", 1) == 1
        time.sleep(1.1)
        assert await storage.get("short") == 0
        assert await storage.incr("short", 1) == 1
        await storage.clear("k")
        assert await storage.get("k") == 0
        await storage.incr("k", 60, amount=5)
        assert await storage.reset() is not None
        assert await storage.get("k") == 0
    finally:
        await db.dispose()


async def test_database_storage_counts_concurrent_hits_exactly(database_url: str) -> None:
    import asyncio

    from hub.db import Database

    dbs = [Database(database_url), Database(database_url)]
    storages = [DatabaseStorage(db) for db in dbs]
    try:
        counts = await asyncio.gather(*(storages[i % 2].incr("busy", 60) for i in range(20)))
        assert sorted(counts) == list(range(1, 21))
    finally:
        for db in dbs:
            await db.dispose()


async def test_a_requests_windows_are_counted_in_one_transaction_in_order(
    database_url: str,
) -> None:
    """One write transaction for all of a request's windows; a spent one stops the count."""
    from sqlalchemy import event

    from hub.db import Database

    db = Database(database_url)
    storage = DatabaseStorage(db)
    begins: list[object] = []
    event.listen(db.engine.sync_engine, "begin", begins.append)
    try:
        windows = [("address", 60, 1), ("account", 60, 5)]
        assert await storage.hit_in_order(windows) is None
        assert len(begins) == 1  # one write transaction, not one per window
        assert await storage.hit_in_order(windows) == 0
        assert await storage.get("address") == 2
        # The account's attempts were not used up by a request its address was refused.
        assert await storage.get("account") == 1
        assert await storage.hit_in_order([("other", 60, 3), ("account", 60, 1)]) == 1
        assert await storage.get("other") == 1 and await storage.get("account") == 2
    finally:
        await db.dispose()


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    from hub.limits.limiter import retry_after

    now = 1000.0
    assert retry_after(now + 0.2, now=now) == 1
    assert retry_after(now + 59.01, now=now) == 60
    assert retry_after(now - 3, now=now) == 1
    assert retry_after(now + 12.0, now=now) == math.ceil(12.0)


@pytest.mark.parametrize("limit", [1, 5])
async def test_settings_change_the_limits(database_url: str, limit: int) -> None:
    async with hub_app(database_url, auth_rate_per_minute=limit) as client:
        c = client()
        codes = [(await _sign_in(c, f"u{i}@example.org")).status_code for i in range(limit + 1)]
    assert codes == [401] * limit + [429]
