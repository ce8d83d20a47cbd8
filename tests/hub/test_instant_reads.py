"""Instant reads: a bearer token read on SQLite without a pooled session, and read through
one whenever the instant connection cannot serve at once."""

from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from hub.auth.models import Token, User
from hub.db import Database

pytestmark = pytest.mark.usefixtures("sqlite_only")


@pytest.fixture
def sqlite_only(database_url: str) -> None:
    """Instant reads exist for SQLite files only; elsewhere there is nothing to test."""
    if not database_url.startswith("sqlite"):
        pytest.skip("instant reads are SQLite's")


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
