"""Accounts that share an address: a sign-up never tells whether an address has an account.

The hole it closes (issue 12, "Trust"): signing up with an address that had an account and a
wrong password answered 409, so anyone could test addresses. Now the first account of an
address *holds* it; a later sign-up with another password makes an ordinary account with the
same address that holds nothing, answered exactly like a new address (201, same body, same
work), and the holder is told by mail. Everything tied to the address (invitations, password
resets, the mails) goes to the holder only.
"""

import httpx
import pytest
from sqlalchemy import select
from support.data import PASSWORD
from support.scenario import Hub, invitation_parts

from hub.auth import service as auth_service
from hub.auth.models import User
from hub.auth.service import create_password_reset
from hub.notifications.models import OutboxMessage

AUTH = "/api/v1/auth"
OTHER = "a different passphrase"
NEW = "a brand new passphrase"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _sign_up(client: httpx.AsyncClient, email: str, password: str, **headers: str):
    return await client.post(
        f"{AUTH}/signup",
        json={"email": email, "password": password, "name": "Someone", "role": "hospital_staff"},
        headers=headers,
    )


async def _sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(f"{AUTH}/token", json={"email": email, "password": password})


async def _me(client: httpx.AsyncClient, token: str) -> dict:
    r = await client.get(f"{AUTH}/me", headers=_bearer(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _outbox(app) -> list[OutboxMessage]:
    async with app.state.db.read_sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_held_address_and_a_wrong_password_answer_like_a_new_address(
    client: httpx.AsyncClient, hub: Hub, app
) -> None:
    holder = await hub.account("hospital_staff")
    fresh = await _sign_up(client, "nobody-yet@example.org", OTHER)
    shadow = await _sign_up(client, holder.email.upper(), OTHER)
    assert shadow.status_code == fresh.status_code == 201, shadow.text
    assert shadow.json().keys() == fresh.json().keys()
    assert shadow.json()["user"].keys() == fresh.json()["user"].keys()
    assert dict(shadow.headers).keys() == dict(fresh.headers).keys()
    newcomer = shadow.json()["user"]
    assert newcomer["id"] != holder.id
    assert newcomer["email"] == holder.email
    # The token works, and is the newcomer's.
    assert (await _me(client, shadow.json()["access_token"]))["id"] == newcomer["id"]
    async with app.state.db.read_sessions() as session:
        rows = (await session.scalars(select(User).where(User.email == holder.email))).all()
    assert sorted((u.id, u.email_holder) for u in rows) == [
        (holder.id, True),
        (newcomer["id"], False),
    ]


async def test_the_newcomer_gets_nothing_of_the_holder(client: httpx.AsyncClient, hub: Hub) -> None:
    holder = await hub.account("hospital_staff")
    hospital = await hub.site(holder, "hospitals")
    lab_maker = await hub.account("maker")
    lab = await hub.site(lab_maker, "labs")
    invited = await client.post(
        f"/api/v1/labs/{lab['id']}/members", json={"email": holder.email}, headers=lab_maker.headers
    )
    assert invited.status_code == 202
    token = (await _sign_up(client, holder.email, OTHER)).json()["access_token"]
    newcomer = _bearer(token)
    mine = await client.get("/api/v1/hospitals?mine=true", headers=newcomer)
    assert mine.json()["items"] == []
    site = await client.get(f"/api/v1/hospitals/{hospital['id']}", headers=newcomer)
    assert site.json()["contact_phone"] is None
    # The invitation is the link's: an account with the address and no link has no way in.
    invitation_id, _ = invitation_parts(invited.json()["link"])
    theirs = f"/api/v1/invitations/{invitation_id}/decline"
    assert (await client.post(theirs, json={"token": "guess"}, headers=newcomer)).status_code == 404


async def test_an_invitation_is_mailed_to_the_address_and_taken_by_its_link(
    client: httpx.AsyncClient, hub: Hub, app
) -> None:
    holder = await hub.account("maker")
    newcomer = (await _sign_up(client, holder.email, OTHER)).json()["access_token"]
    inviter = await hub.account("maker")
    lab = await hub.site(inviter, "labs")
    r = await client.post(
        f"/api/v1/labs/{lab['id']}/members", json={"email": holder.email}, headers=inviter.headers
    )
    assert r.status_code == 202
    link = r.json()["link"]
    assert [m.body for m in await _outbox(app) if m.kind == "invitation" and link in m.body]
    invitation_id, token = invitation_parts(link)
    accepted = await client.post(
        f"/api/v1/invitations/{invitation_id}/accept",
        json={"token": token},
        headers=holder.headers,
    )
    assert accepted.status_code == 200, accepted.text
    mine = await client.get("/api/v1/labs?mine=true", headers=_bearer(newcomer))
    assert mine.json()["items"] == []


async def test_each_signs_in_with_their_own_password(client: httpx.AsyncClient, hub: Hub) -> None:
    holder = await hub.account("maker")
    newcomer = (await _sign_up(client, holder.email, OTHER)).json()["user"]["id"]
    mine = await _sign_in(client, holder.email, PASSWORD)
    theirs = await _sign_in(client, holder.email, OTHER)
    assert mine.status_code == theirs.status_code == 200
    assert (await _me(client, mine.json()["access_token"]))["id"] == holder.id
    assert (await _me(client, theirs.json()["access_token"]))["id"] == newcomer
    assert (await _sign_in(client, holder.email, "neither of the two")).status_code == 401


async def test_signing_up_again_with_ones_own_password_signs_in(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    """Holder or not, the second sign-up with the same password signs in (200): otherwise a
    newcomer could tell they hold nothing (201 again) from holding the address (200)."""
    holder = await hub.account("maker")
    first = await _sign_up(client, holder.email, OTHER)
    again = await _sign_up(client, holder.email, OTHER)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["user"]["id"] == first.json()["user"]["id"]
    own = await _sign_up(client, holder.email, PASSWORD)
    assert own.status_code == 200
    assert own.json()["user"]["id"] == holder.id


async def test_sign_in_tries_only_the_newest_accounts_of_an_address(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    holder = await hub.account("maker")
    oldest = await _sign_up(client, holder.email, "the oldest passphrase")
    assert oldest.status_code == 201
    for n in range(auth_service.SHARED_CANDIDATES):
        assert (await _sign_up(client, holder.email, f"passphrase number {n}")).status_code == 201
    assert (await _sign_in(client, holder.email, "the oldest passphrase")).status_code == 401
    assert (await _sign_in(client, holder.email, "passphrase number 0")).status_code == 200
    assert (await _sign_in(client, holder.email, PASSWORD)).status_code == 200


@pytest.mark.parametrize("held", [False, True], ids=["new address", "held address"])
async def test_sign_up_does_the_same_work_either_way(
    client: httpx.AsyncClient, hub: Hub, monkeypatch: pytest.MonkeyPatch, held: bool
) -> None:
    """Timing tells nothing: as many password checks and one hash whether the address is held."""
    email = (await hub.account("maker")).email if held else "unheld@example.org"
    calls = {"verify": 0, "hash": 0}
    real_verify, real_hash = auth_service.verify_password, auth_service.hash_password

    async def verify(password_hash, password):
        calls["verify"] += 1
        return await real_verify(password_hash, password)

    async def hash_(password):
        calls["hash"] += 1
        return await real_hash(password)

    monkeypatch.setattr(auth_service, "verify_password", verify)
    monkeypatch.setattr(auth_service, "hash_password", hash_)
    assert (await _sign_up(client, email, OTHER)).status_code == 201
    assert calls == {"verify": 1 + auth_service.SHARED_CANDIDATES, "hash": 1}
    calls.update(verify=0, hash=0)
    assert (await _sign_in(client, email, "wrong passphrase")).status_code == 401
    assert calls == {"verify": 1 + auth_service.SHARED_CANDIDATES, "hash": 0}


async def test_the_holder_is_told_someone_signed_up_in_its_language(
    client: httpx.AsyncClient, app
) -> None:
    held = await _sign_up(client, "ines@example.org", PASSWORD, **{"Accept-Language": "fr"})
    assert held.status_code == 201
    assert await _outbox(app) == []  # a new address: nothing to tell
    await _sign_up(client, "ines@example.org", OTHER, **{"Accept-Language": "en"})
    (mail,) = await _outbox(app)
    assert mail.to_address == "ines@example.org"
    assert mail.kind == "signup_notice"
    assert mail.language == "fr"  # the holder's, not the newcomer's
    assert "adresse" in mail.subject
    assert "/reset?lang=fr" in mail.body and "/app?lang=fr" in mail.body
    assert OTHER not in mail.body


async def test_a_reset_request_mails_a_link_to_the_holder_only(
    client: httpx.AsyncClient, hub: Hub, app
) -> None:
    holder = await hub.account("maker")
    newcomer = (await _sign_up(client, holder.email, OTHER)).json()["access_token"]
    known = await client.post(f"{AUTH}/password-reset", json={"email": holder.email})
    unknown = await client.post(f"{AUTH}/password-reset", json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    mails = [m for m in await _outbox(app) if m.kind == "password_reset"]
    assert [m.to_address for m in mails] == [holder.email]  # none for the unknown address
    link = next(word for word in mails[0].body.split() if "/reset" in word)
    raw = link.split("#", 1)[1]
    r = await client.post(f"{AUTH}/password-reset/confirm", json={"token": raw, "password": NEW})
    assert r.status_code == 204, r.text
    signed_in = await _sign_in(client, holder.email, NEW)
    assert (await _me(client, signed_in.json()["access_token"]))["id"] == holder.id
    # The newcomer's account and session are untouched.
    assert (await client.get(f"{AUTH}/me", headers=_bearer(newcomer))).status_code == 200
    assert (await _sign_in(client, holder.email, OTHER)).status_code == 200


async def test_an_administrators_reset_link_is_the_holders(
    client: httpx.AsyncClient, hub: Hub, app
) -> None:
    """``hub users reset`` and ``hub users password`` act on the holder."""
    holder = await hub.account("maker")
    await _sign_up(client, holder.email, OTHER)
    async with app.state.db.transaction() as session:
        raw = await create_password_reset(session, email=holder.email)
    r = await client.post(f"{AUTH}/password-reset/confirm", json={"token": raw, "password": NEW})
    assert r.status_code == 204
    signed_in = await _sign_in(client, holder.email, NEW)
    assert (await _me(client, signed_in.json()["access_token"]))["id"] == holder.id
    async with app.state.db.transaction() as session:
        user = await auth_service.set_password(session, email=holder.email, password=NEW + "!")
    assert user.id == holder.id


async def test_an_administrator_cannot_create_a_second_account_on_a_held_address(
    hub: Hub, app
) -> None:
    holder = await hub.account("maker")
    from hub.errors import Conflict

    with pytest.raises(Conflict):
        async with app.state.db.transaction() as session:
            await auth_service.create_user(
                session, email=holder.email, password=OTHER, name="X", role="coordinator"
            )


async def test_asking_for_a_link_does_not_void_the_one_the_owner_holds(
    client: httpx.AsyncClient, hub: Hub, app
) -> None:
    """Anyone may ask for a reset of any address: that must not void the administrator's link."""
    holder = await hub.account("maker")
    async with app.state.db.transaction() as session:
        given = await create_password_reset(session, email=holder.email)
    assert (await client.post(f"{AUTH}/password-reset", json={"email": holder.email})).is_success
    r = await client.post(f"{AUTH}/password-reset/confirm", json={"token": given, "password": NEW})
    assert r.status_code == 204, r.text
    # Using it voided the mailed one.
    (mail,) = [m for m in await _outbox(app) if m.kind == "password_reset"]
    mailed = next(w for w in mail.body.split() if "/reset" in w).split("#", 1)[1]
    again = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": mailed, "password": NEW + "!"}
    )
    assert again.status_code == 422
