"""Accounts: change password, reset by a one-time link, sign out everywhere, the sessions list,
and answers that never tell whether an e-mail has an account.

The hole it closes: "no password change, no reset, no 'sign out everywhere'".
"""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from support.data import PASSWORD
from support.scenario import Hub

from hub.auth.models import PasswordReset, Token
from hub.auth.service import create_password_reset
from hub.db import utcnow

AUTH = "/api/v1/auth"
NEW = "a brand new passphrase"


async def _sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD, **kw):
    return await client.post(f"{AUTH}/token", json={"email": email, "password": password}, **kw)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _me(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get(f"{AUTH}/me", headers=_bearer(token))).status_code


async def _reset_link_token(app, email: str, **kw) -> str:
    """What ``hub users reset EMAIL`` does: a fresh reset token for the account."""
    async with app.state.db.transaction() as session:
        return await create_password_reset(session, email=email, **kw)


# --- Change password ---------------------------------------------------------------------------


async def test_change_password_keeps_this_session_and_ends_the_others(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    ana = await hub.account("maker")
    phone = (await _sign_in(client, ana.email)).json()["access_token"]
    r = await client.post(
        f"{AUTH}/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=ana.headers,
    )
    assert r.status_code == 204, r.text
    assert await _me(client, ana.token) == 200  # the session that changed it
    assert await _me(client, phone) == 401  # every other one
    assert (await _sign_in(client, ana.email)).status_code == 401
    assert (await _sign_in(client, ana.email, NEW)).status_code == 200


async def test_change_password_needs_the_current_one(client: httpx.AsyncClient, hub: Hub) -> None:
    ana = await hub.account("maker")
    r = await client.post(
        f"{AUTH}/password",
        json={"current_password": "not my password", "new_password": NEW},
        headers={**ana.headers, "Accept-Language": "fr"},
    )
    # Not 401: the session is fine, and the pages sign out on a 401.
    assert r.status_code == 403, r.text
    assert "actuel" in r.json()["detail"]
    assert await _me(client, ana.token) == 200
    assert (await _sign_in(client, ana.email)).status_code == 200


async def test_change_password_applies_the_policy(client: httpx.AsyncClient, hub: Hub) -> None:
    ana = await hub.account("maker")
    for weak in ("password", "        ", ana.email):
        r = await client.post(
            f"{AUTH}/password",
            json={"current_password": PASSWORD, "new_password": weak},
            headers=ana.headers,
        )
        assert r.status_code == 422, (weak, r.text)
    assert (await _sign_in(client, ana.email)).status_code == 200


async def test_change_password_needs_a_session(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{AUTH}/password", json={"current_password": PASSWORD, "new_password": NEW}
    )
    assert r.status_code == 401


# --- Reset by a one-time link ------------------------------------------------------------------


async def test_reset_sets_the_password_once_and_ends_every_session(
    client: httpx.AsyncClient, hub: Hub, app
) -> None:
    ana = await hub.account("maker")
    other = (await _sign_in(client, ana.email)).json()["access_token"]
    raw = await _reset_link_token(app, ana.email)
    r = await client.post(f"{AUTH}/password-reset/confirm", json={"token": raw, "password": NEW})
    assert r.status_code == 204, r.text
    assert await _me(client, ana.token) == 401
    assert await _me(client, other) == 401
    assert (await _sign_in(client, ana.email, NEW)).status_code == 200
    again = await client.post(
        f"{AUTH}/password-reset/confirm",
        json={"token": raw, "password": "yet another passphrase"},
        headers={"Accept-Language": "fr"},
    )
    assert again.status_code == 422
    assert "déjà servi" in again.json()["detail"]
    assert (await _sign_in(client, ana.email, NEW)).status_code == 200


async def test_reset_link_expires(client: httpx.AsyncClient, hub: Hub, app) -> None:
    ana = await hub.account("maker")
    raw = await _reset_link_token(app, ana.email)
    async with app.state.db.transaction() as session:
        await session.execute(
            update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = await client.post(f"{AUTH}/password-reset/confirm", json={"token": raw, "password": NEW})
    assert r.status_code == 422
    assert "expired" in r.json()["detail"]
    assert (await _sign_in(client, ana.email)).status_code == 200
    assert await _me(client, ana.token) == 200


async def test_wrong_reset_token_changes_nothing(client: httpx.AsyncClient, hub: Hub, app) -> None:
    ana = await hub.account("maker")
    raw = await _reset_link_token(app, ana.email)
    r = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": raw[:-2] + "xx", "password": NEW}
    )
    assert r.status_code == 422
    assert (await _sign_in(client, ana.email)).status_code == 200
    # The real link still works afterwards.
    ok = await client.post(f"{AUTH}/password-reset/confirm", json={"token": raw, "password": NEW})
    assert ok.status_code == 204


async def test_a_new_link_voids_the_older_ones(client: httpx.AsyncClient, hub: Hub, app) -> None:
    ana = await hub.account("maker")
    first = await _reset_link_token(app, ana.email)
    second = await _reset_link_token(app, ana.email)
    r = await client.post(f"{AUTH}/password-reset/confirm", json={"token": first, "password": NEW})
    assert r.status_code == 422
    ok = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": second, "password": NEW}
    )
    assert ok.status_code == 204


async def test_reset_applies_the_policy(client: httpx.AsyncClient, hub: Hub, app) -> None:
    ana = await hub.account("maker")
    raw = await _reset_link_token(app, ana.email)
    r = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": raw, "password": "12345678"}
    )
    assert r.status_code == 422
    # A refused password does not use the link up.
    ok = await client.post(f"{AUTH}/password-reset/confirm", json={"token": raw, "password": NEW})
    assert ok.status_code == 204


async def test_reset_tokens_are_stored_hashed(hub: Hub, app) -> None:
    ana = await hub.account("maker")
    raw = await _reset_link_token(app, ana.email)
    async with app.state.db.read_sessions() as session:
        stored = list(await session.scalars(select(PasswordReset.token_hash)))
    assert len(stored) == 1
    assert raw not in stored[0] and len(stored[0]) == 64


async def test_reset_request_answers_the_same_for_known_and_unknown_emails(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    ana = await hub.account("maker")
    known = await client.post(f"{AUTH}/password-reset", json={"email": ana.email})
    unknown = await client.post(f"{AUTH}/password-reset", json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert dict(known.headers).keys() == dict(unknown.headers).keys()
    # Asking for a link changes nothing for the account.
    assert await _me(client, ana.token) == 200


# --- Sessions and signing out everywhere -------------------------------------------------------


async def test_sessions_list_shows_each_session_without_its_token(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    ana = await hub.account("maker")
    firefox = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
    phone = (await _sign_in(client, ana.email, headers={"User-Agent": firefox})).json()
    other = await hub.account("maker")
    r = await client.get(f"{AUTH}/sessions", headers=ana.headers)
    assert r.status_code == 200, r.text
    sessions = r.json()
    assert len(sessions) == 2  # not the other account's
    assert [s["current"] for s in sessions].count(True) == 1
    assert any("Firefox" in s["description"] and "Android" in s["description"] for s in sessions)
    text = r.text
    assert ana.token not in text and phone["access_token"] not in text and other.token not in text
    assert {"id", "created_at", "last_used_at", "expires_at", "description", "current"} <= set(
        sessions[0]
    )


async def test_revoking_one_session(client: httpx.AsyncClient, hub: Hub) -> None:
    ana = await hub.account("maker")
    phone = (await _sign_in(client, ana.email)).json()["access_token"]
    sessions = (await client.get(f"{AUTH}/sessions", headers=ana.headers)).json()
    (phone_session,) = [s for s in sessions if not s["current"]]
    r = await client.delete(f"{AUTH}/sessions/{phone_session['id']}", headers=ana.headers)
    assert r.status_code == 204
    assert await _me(client, phone) == 401
    assert await _me(client, ana.token) == 200
    left = (await client.get(f"{AUTH}/sessions", headers=ana.headers)).json()
    assert [s["current"] for s in left] == [True]


async def test_cannot_revoke_someone_elses_session(client: httpx.AsyncClient, hub: Hub) -> None:
    ana = await hub.account("maker")
    bob = await hub.account("maker")
    (bobs,) = (await client.get(f"{AUTH}/sessions", headers=bob.headers)).json()
    r = await client.delete(f"{AUTH}/sessions/{bobs['id']}", headers=ana.headers)
    assert r.status_code == 404
    assert await _me(client, bob.token) == 200


async def test_expired_and_revoked_sessions_are_not_listed(
    client: httpx.AsyncClient, hub: Hub, app
) -> None:
    ana = await hub.account("maker")
    old = (await _sign_in(client, ana.email)).json()["access_token"]
    gone = (await _sign_in(client, ana.email)).json()["access_token"]
    await client.post(f"{AUTH}/logout", headers=_bearer(gone))
    async with app.state.db.transaction() as session:
        me = await session.scalar(select(Token.id).order_by(Token.id).limit(1))
        await session.execute(
            update(Token)
            .where(Token.id != me, Token.revoked_at.is_(None))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    sessions = (await client.get(f"{AUTH}/sessions", headers=ana.headers)).json()
    assert len(sessions) == 1 and sessions[0]["current"]
    assert await _me(client, old) == 401


async def test_sign_out_everywhere(client: httpx.AsyncClient, hub: Hub, app) -> None:
    ana = await hub.account("maker")
    bob = await hub.account("maker")
    phones = [(await _sign_in(client, ana.email)).json()["access_token"] for _ in range(3)]
    r = await client.post(f"{AUTH}/logout-everywhere", headers=ana.headers)
    assert r.status_code == 204
    for token in [ana.token, *phones]:
        assert await _me(client, token) == 401
    assert await _me(client, bob.token) == 200
    async with app.state.db.read_sessions() as session:
        live = await session.scalar(
            select(func.count()).select_from(Token).where(Token.revoked_at.is_(None))
        )
    assert live == 1  # bob's
    assert (await _sign_in(client, ana.email)).status_code == 200


# --- Sign-up does not confirm that an address has an account -----------------------------------


async def test_signup_with_a_taken_email_and_its_password_signs_in(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    """The person signing up again is almost always the owner who forgot: let them in."""
    ana = await hub.account("maker")
    r = await client.post(
        f"{AUTH}/signup",
        json={"email": ana.email, "password": PASSWORD, "name": "Ana", "role": "driver"},
    )
    assert r.status_code in (200, 201), r.text
    assert r.json()["user"]["id"] == ana.id
    assert r.json()["user"]["role"] == "maker"  # the account is not changed
    assert await _me(client, r.json()["access_token"]) == 200


async def test_signup_with_a_taken_email_and_another_password_tells_nothing(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    """Not 409 any more: the answer is a new account's, as for an address nobody has."""
    ana = await hub.account("maker")
    r = await client.post(
        f"{AUTH}/signup",
        json={"email": ana.email, "password": "another passphrase", "name": "X", "role": "maker"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["user"]["id"] != ana.id
    assert await _me(client, ana.token) == 200


@pytest.mark.parametrize("path", ["/sessions", "/logout-everywhere"])
async def test_account_endpoints_need_a_session(client: httpx.AsyncClient, path: str) -> None:
    method = client.get if path == "/sessions" else client.post
    assert (await method(f"{AUTH}{path}")).status_code == 401


def test_a_sessions_description_drops_control_characters() -> None:
    """The description is stored and shown on the account page: a C1 byte (Latin-1) or an
    ESC in an unknown agent's first token does not reach it."""
    from hub.auth.agents import describe_agent

    described = describe_agent("evil\x85\x1b[31mbot/1.0")
    assert described is not None and described.startswith("evil[31mbot")
    assert not {"\x85", "\x1b"} & set(described)
    assert describe_agent("\x85\x9b") is None
