"""Accounts: signup, tokens, logout, roles, rate limits."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from hub.auth.models import Token
from hub.config import Settings
from hub.db import utcnow
from hub.main import create_app


async def test_signup_returns_user_and_working_token(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/signup",
        json={
            "email": "Ana@Example.org",
            "password": "s3cret-pass",
            "name": "Ana",
            "role": "maker",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"]["email"] == "ana@example.org"
    assert body["user"]["role"] == "maker"
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]


async def test_password_is_not_stored_in_clear(client: httpx.AsyncClient, app) -> None:
    await client.post(
        "/api/v1/auth/signup",
        json={"email": "b@example.org", "password": "plain-text-pw", "name": "B", "role": "driver"},
    )
    from sqlalchemy import select

    from hub.auth.models import User

    async for session in app.state.db.read():
        user = await session.scalar(select(User).where(User.email == "b@example.org"))
        token = await session.scalar(select(Token).where(Token.user_id == user.id))
    assert user.password_hash.startswith("$argon2")
    assert "plain-text-pw" not in user.password_hash
    assert len(token.token_hash) == 64


@pytest.mark.parametrize("role", ["coordinator", "admin", "pirate"])
async def test_signup_cannot_pick_privileged_or_unknown_roles(
    client: httpx.AsyncClient, role: str
) -> None:
    r = await client.post(
        "/api/v1/auth/signup",
        json={"email": "x@example.org", "password": "long-enough", "name": "X", "role": role},
    )
    assert r.status_code == 422
    assert "role" in r.json()["detail"]


async def test_a_taken_email_with_another_password_is_a_new_account(
    client: httpx.AsyncClient,
) -> None:
    """No 409: it would tell anyone that the address has an account (see
    test_shared_addresses.py)."""
    body = {"email": "d@example.org", "password": "long-enough", "name": "D", "role": "maker"}
    first = await client.post("/api/v1/auth/signup", json=body)
    assert first.status_code == 201
    r = await client.post(
        "/api/v1/auth/signup",
        json={**body, "email": "D@example.org", "password": "another-long-one"},
    )
    assert r.status_code == 201
    assert r.json()["user"]["id"] != first.json()["user"]["id"]


async def test_token_wrong_password_and_logout(client: httpx.AsyncClient) -> None:
    body = {"email": "e@example.org", "password": "long-enough", "name": "E", "role": "maker"}
    await client.post("/api/v1/auth/signup", json=body)
    bad = await client.post("/api/v1/auth/token", json={"email": body["email"], "password": "nope"})
    assert bad.status_code == 401
    good = await client.post(
        "/api/v1/auth/token", json={"email": body["email"], "password": body["password"]}
    )
    assert good.status_code == 200
    assert good.json()["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {good.json()['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_expired_token_is_refused(client: httpx.AsyncClient, app) -> None:
    body = {"email": "f@example.org", "password": "long-enough", "name": "F", "role": "maker"}
    token = (await client.post("/api/v1/auth/signup", json=body)).json()["access_token"]
    async with app.state.db.transaction() as session:
        await session.execute(update(Token).values(expires_at=utcnow() - timedelta(minutes=1)))
    r = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


async def test_garbage_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_sign_in_is_rate_limited(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, auth_rate_per_minute=3))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
    ) as client:
        codes = [
            (
                await client.post(
                    "/api/v1/auth/token", json={"email": "g@example.org", "password": "whatever"}
                )
            ).status_code
            for _ in range(5)
        ]
    await app.state.db.dispose()
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]


async def test_a_tokens_account_is_whole_and_detached(client: httpx.AsyncClient, app) -> None:
    """The account a token gives every request is built from columns, not loaded: it must
    hold every column as stored and be detached, as a loaded account whose session closed."""
    from sqlalchemy import inspect, select

    from hub.auth.models import User
    from hub.auth.service import account_for_token

    body = {"email": "h@example.org", "password": "long-enough", "name": "Hé", "role": "maker"}
    token = (await client.post("/api/v1/auth/signup", json=body)).json()["access_token"]
    user, use = await account_for_token(app.state.db, token)
    async with app.state.db.read_sessions() as session:
        stored = await session.scalar(select(User).where(User.email == "h@example.org"))
        token_id = await session.scalar(select(Token.id).where(Token.user_id == stored.id))
    assert inspect(user).detached
    assert not inspect(user).modified
    for column in inspect(User).columns.keys():  # noqa: SIM118 (a column collection)
        assert getattr(user, column) == getattr(stored, column), column
        # Converted as loading converts: aware datetimes, enum members, not their strings.
        assert type(getattr(user, column)) is type(getattr(stored, column)), column
    assert use.id == token_id


def test_a_token_is_the_first_thing_a_fresh_process_reads(tmp_path) -> None:
    """A restarted server's first request may be an authenticated one: the account is built
    from columns, and nothing has configured the ORM's mappers yet (loading does)."""
    import subprocess
    import sys

    from support.databases import sqlite_url

    url = sqlite_url(tmp_path / "hub.sqlite")
    script = """
import asyncio, sys
from sqlalchemy import inspect
from hub.auth.models import User
from hub.auth.service import account_for_token, issue_token, sign_up
from hub.db import Database
from hub.migrate import upgrade

async def main():
    db = Database(sys.argv[1])
    try:
        if sys.argv[2] == "make":
            await upgrade(db.engine)
            async with db.transaction() as session:
                user, _ = await sign_up(
                    session, email="i@example.org", password="long-enough", name="I", role="maker"
                )
                print((await issue_token(session, user=user, ttl_hours=1))[0])
        else:
            assert not User.__mapper__.configured
            user, _ = await account_for_token(db, sys.argv[3])
            print(user.email, inspect(user).detached)
    finally:
        # Its connections' threads would keep a failed run alive.
        await db.dispose()

asyncio.run(main())
"""
    made = subprocess.run(
        [sys.executable, "-c", script, url, "make"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    token = made.stdout.split()[-1]
    read = subprocess.run(
        [sys.executable, "-c", script, url, "read", token],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == ["i@example.org", "True"]
