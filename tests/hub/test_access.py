"""Who may do what: every mutating endpoint against every kind of wrong caller.

Each test builds one world, tries the endpoint as every caller who must be refused
(anonymous, the wrong lab, the wrong hospital, other roles, a coordinator of another area),
checks nothing changed, and then shows the rightful caller succeeds, so a refusal can't come
from a broken endpoint.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from support.data import GRENOBLE

from hub.notifications.models import OutboxMessage
from hub.sites.models import Invitation


@pytest.fixture
async def world(hub) -> dict[str, Any]:
    """Two hospitals and two labs in Isère, their people, drivers and coordinators."""
    w: dict[str, Any] = {}
    w["staff"] = await hub.account("hospital_staff")
    w["other_staff"] = await hub.account("hospital_staff")
    w["maker"] = await hub.account("maker")
    w["other_maker"] = await hub.account("maker")
    w["driver"] = await hub.account("driver")
    w["coord_here"] = await hub.account("coordinator", area="region:84")
    w["coord_there"] = await hub.account("coordinator", area="region:53")
    w["hospital"] = await hub.site(w["staff"], "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1])
    w["other_hospital"] = await hub.site(w["other_staff"], "hospitals")
    w["lab"] = await hub.site(w["maker"], "labs")
    w["other_lab"] = await hub.site(w["other_maker"], "labs")
    w["need"] = await hub.need(w["staff"], w["hospital"]["id"], quantity=100)
    return w


async def _batch(client: httpx.AsyncClient, w: dict[str, Any], made: int = 0, ready=False) -> int:
    r = await client.post(
        f"/api/v1/needs/{w['need']['id']}/claims",
        json={"lab_id": w["lab"]["id"], "quantity": 10},
        headers=w["maker"].headers,
    )
    bid = int(r.json()["id"])
    if made:
        await client.post(
            f"/api/v1/batches/{bid}/progress", json={"made": made}, headers=w["maker"].headers
        )
    if ready:
        await client.post(f"/api/v1/batches/{bid}/ready", headers=w["maker"].headers)
    return bid


async def _proposal(app: Any, w: dict[str, Any]) -> int:
    """A matcher proposal, inserted through the service as a run would."""
    from hub.batches.service import create_batch
    from hub.needs.service import get_need

    async with app.state.db.transaction() as session:
        need = await get_need(session, w["need"]["id"], lock=True)
        batch = await create_batch(
            session,
            need=need,
            lab_id=w["lab"]["id"],
            quantity=10,
            design=need.design,
            state="proposed",
            actor=None,
        )
    return batch.id


Call = Callable[[dict[str, str]], Awaitable[httpx.Response]]


async def _check(
    client: httpx.AsyncClient,
    w: dict[str, Any],
    call: Call,
    denied: list[str],
    allowed: str,
    snapshot: Callable[[], Awaitable[Any]],
) -> None:
    before = await snapshot()
    anonymous = await call({})
    assert anonymous.status_code == 401, anonymous.text
    for who in denied:
        r = await call(w[who].headers)
        assert r.status_code == 403, (who, r.status_code, r.text)
        assert r.json()["detail"]
    assert await snapshot() == before, "a refused call changed something"
    ok = await call(w[allowed].headers)
    assert ok.status_code in (200, 201, 202, 204), (allowed, ok.text)


def _get(
    client: httpx.AsyncClient, w: dict[str, Any], url: str, who: str = "coord_here"
) -> Callable[[], Awaitable[Any]]:
    async def snap() -> Any:
        return (await client.get(url, headers=w[who].headers)).json()

    return snap


async def test_create_hospital(client, world) -> None:
    w = world
    body = {"name": "H", "kind": "clinic", "address": "x", "lat": 45.0, "lon": 5.0}
    await _check(
        client,
        w,
        lambda h: client.post("/api/v1/hospitals", json=body, headers=h),
        ["maker", "driver"],
        "staff",
        _get(client, w, "/api/v1/hospitals"),
    )


async def test_create_lab(client, world) -> None:
    w = world
    body = {"name": "L", "kind": "home", "address": "x", "lat": 45.0, "lon": 5.0}
    await _check(
        client,
        w,
        lambda h: client.post("/api/v1/labs", json=body, headers=h),
        ["staff", "driver"],
        "maker",
        _get(client, w, "/api/v1/labs"),
    )


@pytest.mark.parametrize("type", ["hospitals", "labs"])
async def test_verify_site(client, world, type: str) -> None:
    w = world
    site = w["hospital"] if type == "hospitals" else w["lab"]
    url = f"/api/v1/{type}/{site['id']}/verify"
    await _check(
        client,
        w,
        lambda h: client.post(url, headers=h),
        ["staff", "maker", "driver", "coord_there"],
        "coord_here",
        _get(client, w, f"/api/v1/{type}/{site['id']}"),
    )


async def test_add_member(client, world, app) -> None:
    w = world
    url = f"/api/v1/labs/{w['lab']['id']}/members"
    newcomer = w["other_maker"].email
    await _check(
        client,
        w,
        lambda h: client.post(url, json={"email": newcomer}, headers=h),
        ["other_maker", "staff", "driver", "coord_there"],
        "maker",
        _invitations(app),
    )


def _invitations(app: Any) -> Callable[[], Awaitable[Any]]:
    """The invitations stored and mailed (a refused invite must leave both as they were)."""

    async def snap() -> Any:
        async with app.state.db.read_sessions() as session:
            sent = await session.scalars(select(Invitation.id))
            mails = await session.scalars(select(OutboxMessage.id))
            return list(sent), list(mails)

    return snap


async def test_replace_offers(client, world) -> None:
    w = world
    url = f"/api/v1/labs/{w['lab']['id']}/offers"
    body = [{"design": "ear-saver", "units_per_day": 50, "available_from": "2026-01-01"}]
    await _check(
        client,
        w,
        lambda h: client.put(url, json=body, headers=h),
        ["other_maker", "staff", "driver", "coord_here", "coord_there"],
        "maker",
        _get(client, w, url),
    )


async def test_post_need(client, world) -> None:
    w = world
    body = {
        **{k: w["need"][k] for k in ("design", "quantity", "needed_by", "priority")},
        "hospital_id": w["hospital"]["id"],
    }
    await _check(
        client,
        w,
        lambda h: client.post("/api/v1/needs", json=body, headers=h),
        ["other_staff", "maker", "driver", "coord_here", "coord_there"],
        "staff",
        _get(client, w, "/api/v1/needs"),
    )


async def test_cancel_need(client, world) -> None:
    w = world
    url = f"/api/v1/needs/{w['need']['id']}/cancel"
    await _check(
        client,
        w,
        lambda h: client.post(url, headers=h),
        ["other_staff", "maker", "driver", "coord_there"],
        "staff",
        _get(client, w, f"/api/v1/needs/{w['need']['id']}"),
    )


async def test_claim(client, world) -> None:
    w = world
    url = f"/api/v1/needs/{w['need']['id']}/claims"
    body = {"lab_id": w["lab"]["id"], "quantity": 5}
    await _check(
        client,
        w,
        lambda h: client.post(url, json=body, headers=h),
        ["other_maker", "staff", "driver", "coord_here", "coord_there"],
        "maker",
        _get(client, w, "/api/v1/batches"),
    )


@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_answer_proposal(client, app, world, action: str) -> None:
    w = world
    bid = await _proposal(app, w)
    await _check(
        client,
        w,
        lambda h: client.post(f"/api/v1/batches/{bid}/{action}", headers=h),
        ["other_maker", "staff", "driver", "coord_here", "coord_there"],
        "maker",
        _get(client, w, f"/api/v1/batches/{bid}"),
    )


async def test_progress(client, world) -> None:
    w = world
    bid = await _batch(client, w)
    await _check(
        client,
        w,
        lambda h: client.post(f"/api/v1/batches/{bid}/progress", json={"made": 3}, headers=h),
        ["other_maker", "staff", "driver", "coord_here", "coord_there"],
        "maker",
        _get(client, w, f"/api/v1/batches/{bid}"),
    )


async def test_ready(client, world) -> None:
    w = world
    bid = await _batch(client, w, made=10)
    await _check(
        client,
        w,
        lambda h: client.post(f"/api/v1/batches/{bid}/ready", headers=h),
        ["other_maker", "staff", "driver", "coord_here", "coord_there"],
        "maker",
        _get(client, w, f"/api/v1/batches/{bid}"),
    )


async def test_receipt(client, world) -> None:
    w = world
    bid = await _batch(client, w, made=10, ready=True)
    await _check(
        client,
        w,
        lambda h: client.post(f"/api/v1/batches/{bid}/receipt", json={"accepted": 10}, headers=h),
        ["other_staff", "maker", "driver", "coord_here", "coord_there"],
        "staff",
        _get(client, w, f"/api/v1/batches/{bid}"),
    )


@pytest.mark.parametrize("rightful", ["maker", "coord_here"])
async def test_cancel_batch(client, world, rightful: str) -> None:
    w = world
    bid = await _batch(client, w)
    await _check(
        client,
        w,
        lambda h: client.post(f"/api/v1/batches/{bid}/cancel", headers=h),
        ["other_maker", "staff", "driver", "coord_there"],
        rightful,
        _get(client, w, f"/api/v1/batches/{bid}"),
    )


async def test_adjust_batch(client, world) -> None:
    w = world
    bid = await _batch(client, w)
    await _check(
        client,
        w,
        lambda h: client.post(f"/api/v1/batches/{bid}/adjust", json={"quantity": 4}, headers=h),
        ["maker", "other_maker", "staff", "driver", "coord_there"],
        "coord_here",
        _get(client, w, f"/api/v1/batches/{bid}"),
    )


async def test_correct_made(client, world) -> None:
    w = world
    bid = await _batch(client, w, made=8)
    await _check(
        client,
        w,
        lambda h: client.post(
            f"/api/v1/batches/{bid}/correct", json={"made": 3, "reason": "typo"}, headers=h
        ),
        ["maker", "other_maker", "staff", "driver", "coord_there"],
        "coord_here",
        _get(client, w, f"/api/v1/batches/{bid}"),
    )


async def test_logout_needs_a_token(client, world) -> None:
    assert (await client.post("/api/v1/auth/logout")).status_code == 401
