"""Instant reads: a bearer token read on SQLite without a pooled session, and read through
one whenever the instant connection cannot serve at once."""

from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from hub.auth.models import Token, User
from hub.db import Database


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """SQLite files only: PostgreSQL has no instant reads (its sessions read as before)."""
    return sqlite_database_url


async def _signed_in(client: httpx.AsyncClient) -> dict[str, str]:
    body = {"email": "k@example.org", "password": "long-enough", "name": "K", "role": "maker"}
    token = (await client.post("/api/v1/auth/signup", json=body)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _checkouts(db: Database) -> list[Any]:
    """Every checkout of a pooled read connection from now on."""
    seen: list[Any] = []
    event.listen(db.read_engine.sync_engine.pool, "checkout", lambda *args: seen.append(args))
    return seen


async def test_a_token_is_read_without_a_pooled_connection(
    client: httpx.AsyncClient, app: Any
) -> None:
    headers = await _signed_in(client)
    await client.get("/api/v1/auth/me", headers=headers)  # the token's first use is written
    checkouts = _checkouts(app.state.db)
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == "k@example.org"
    assert checkouts == []


async def test_a_busy_instant_connection_hands_the_read_to_a_session(
    client: httpx.AsyncClient, app: Any
) -> None:
    headers = await _signed_in(client)
    checkouts = _checkouts(app.state.db)
    # Another thread is using the instant connection: the request does not wait for it.
    with app.state.db.instant._lock:
        me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == "k@example.org"
    assert len(checkouts) == 1


async def test_a_broken_instant_connection_is_replaced(client: httpx.AsyncClient, app: Any) -> None:
    headers = await _signed_in(client)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    broken = app.state.db.instant._connection
    broken.close()
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    checkouts = _checkouts(app.state.db)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert app.state.db.instant._connection is not broken
    assert checkouts == []


async def test_a_revoked_token_is_refused_at_once(client: httpx.AsyncClient, app: Any) -> None:
    """The instant connection holds no snapshot between reads: a commit is seen next time."""
    headers = await _signed_in(client)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_instant_rows_are_a_sessions_rows(client: httpx.AsyncClient, app: Any) -> None:
    """The same columns, converted alike (aware datetimes, booleans), as a session reads."""
    from hub.db import column_rows

    await _signed_in(client)
    db: Database = app.state.db
    statement = select(Token.created_at, Token.expires_at, User.email_holder, User.role).join(
        User, User.id == Token.user_id
    )
    instant = db.instant.first(statement, {})
    async with db.read_sessions() as session:
        pooled = dict((await column_rows(session, statement)).mappings().first())
    assert instant == pooled
    assert [type(v) for v in instant.values()] == [type(v) for v in pooled.values()]


def test_a_list_bound_at_execution_is_refused(app: Any) -> None:
    """An expanding IN list is rendered at each execution: not a statement compiled once."""
    with pytest.raises(ValueError, match="plain positional"):
        app.state.db.instant.first(select(User.id).where(User.id.in_([1, 2])), {})


async def test_a_page_of_needs_is_read_without_a_pooled_connection(
    client: httpx.AsyncClient, app: Any, hub: Any
) -> None:
    """GET /needs' page is one statement: a read session that has not begun runs it on the
    instant connection, and shows each need as GET /needs/{id} does."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    await hub.need(staff, hospital["id"], quantity=30)
    await hub.need(staff, hospital["id"], quantity=40)
    await client.get("/api/v1/needs", headers=staff.headers)
    checkouts = _checkouts(app.state.db)
    page = await client.get("/api/v1/needs", headers=staff.headers)
    assert checkouts == []
    items = page.json()["items"]
    assert [n["quantity"] for n in items] == [30, 40]
    for need in items:
        alone = await client.get(f"/api/v1/needs/{need['id']}", headers=staff.headers)
        assert alone.json() == need


async def test_a_begun_read_session_keeps_its_snapshot(app: Any, monkeypatch) -> None:
    """A read session's first statement may run on the instant connection; once the session
    has begun, its later reads stay in its transaction (one snapshot)."""
    from hub.db import first_statement_rows

    db: Database = app.state.db
    instant_calls: list[Any] = []
    rows_of = db.instant.rows
    monkeypatch.setattr(
        db.instant, "rows", lambda *args, **kw: instant_calls.append(args) or rows_of(*args, **kw)
    )
    statement = select(User.id)
    async with db.read_sessions() as session:
        assert list(await first_statement_rows(session, statement, {})) == []
        assert len(instant_calls) == 1 and not session.in_transaction()
        await session.execute(select(Token.id))
        assert list(await first_statement_rows(session, statement, {})) == []
        assert len(instant_calls) == 1
    # A write session never reads on it: its reads belong to its transaction.
    async with db.transaction() as session:
        await first_statement_rows(session, statement, {})
    assert len(instant_calls) == 1
