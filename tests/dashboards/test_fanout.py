"""Fan-out: many concurrent writers skip nothing; two ``hub serve`` processes act as one hub."""

import asyncio
import json
import os
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from support.data import GRENOBLE, LIFTED_LIMITS, PASSWORD
from support.server import HubProcess, serve_in_process

from hub.events.service import list_events

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _collect(ws: Any, until_id: int, timeout: float = 20) -> list[int]:
    """Receive event ids until ``until_id`` has arrived."""
    ids: list[int] = []
    async with asyncio.timeout(timeout):
        while not ids or ids[-1] < until_id:
            message = json.loads(await ws.recv())
            if message["type"] == "event":
                ids.append(message["event_id"])
    return ids


async def _all_event_ids(app: Any) -> list[int]:
    async with app.state.db.read_sessions() as session:
        return [e.id for e in await list_events(session, since=0, limit=100_000)]


async def test_many_concurrent_writers_skip_nothing(hub, app, base_url) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1])
    async with websockets.connect(f"ws://{base_url}/ws/live") as ws:
        snapshot = json.loads(await ws.recv())

        async def writer(n: int) -> None:
            for _ in range(n):
                await hub.need(staff, hospital["id"], quantity=1)

        await asyncio.gather(*(writer(10) for _ in range(6)))
        expected = [i for i in await _all_event_ids(app) if i > snapshot["event_id"]]
        assert len(expected) == 60
        assert await _collect(ws, expected[-1]) == expected


async def _event_ids_in_database(url: str, after: int) -> list[int]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id FROM events WHERE id > :a ORDER BY id"), {"a": after}
        )
        ids = [int(r[0]) for r in rows]
    await engine.dispose()
    return ids


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
async def two_hubs(
    postgres_database_url: str, serve_hub: Callable[..., HubProcess]
) -> tuple[HubProcess, HubProcess]:
    """Two ``hub serve`` processes on one PostgreSQL database, fanned out by LISTEN/NOTIFY.

    The database is already migrated, so both can start at once (their own upgrade is a no-op).
    """
    a, b = await asyncio.gather(
        asyncio.to_thread(serve_hub, postgres_database_url),
        asyncio.to_thread(serve_hub, postgres_database_url),
    )
    return a, b


async def _signup(http: httpx.AsyncClient, role: str, n: int) -> dict[str, str]:
    r = await http.post(
        "/api/v1/auth/signup",
        json={
            "email": f"{role}{n}@example.org",
            "password": PASSWORD,
            "name": f"{role} {n}",
            "role": role,
        },
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_change_through_one_process_reaches_a_client_of_the_other(
    two_hubs: tuple[HubProcess, HubProcess], postgres_database_url: str
) -> None:
    a, b = two_hubs
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=20) as api_a,
        httpx.AsyncClient(base_url=b.url, timeout=20) as api_b,
        websockets.connect(f"ws://{b.host}/ws/live") as ws,
    ):
        snapshot = json.loads(await ws.recv())
        assert snapshot["type"] == "snapshot"
        staff = await _signup(api_a, "hospital_staff", 1)
        hospital = await api_a.post(
            "/api/v1/hospitals",
            json={
                "name": "CHU",
                "kind": "hospital",
                "address": "1 rue du Test",
                "lat": GRENOBLE[0],
                "lon": GRENOBLE[1],
            },
            headers=staff,
        )
        assert hospital.status_code == 201, hospital.text
        started = time.monotonic()
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        # The poll fallback takes 2 s; NOTIFY or Redis must be much faster than that.
        assert time.monotonic() - started < 1.0
        assert (message["type"], message["kind"]) == ("event", "hospital.created")

        from datetime import date, timedelta

        async def writer(api: httpx.AsyncClient, n: int) -> None:
            for _ in range(n):
                r = await api.post(
                    "/api/v1/needs",
                    json={
                        "hospital_id": hospital.json()["id"],
                        "design": "ear-saver",
                        "quantity": 1,
                        "priority": "normal",
                        "needed_by": (date.today() + timedelta(days=5)).isoformat(),
                    },
                    headers=staff,
                )
                assert r.status_code == 201, r.text

        # Concurrent writers on both processes: B's client gets every event once, in order.
        await asyncio.gather(*(writer(api, 10) for api in (api_a, api_b, api_a, api_b)))
        stats = (await api_b.get("/api/v1/stats")).json()
        ids = await _collect(ws, stats["event_id"])
        assert ids == await _event_ids_in_database(postgres_database_url, message["event_id"])
        assert len(ids) == 40
        assert stats["totals"]["ear-saver"]["requested"] == 40


async def test_redis_fans_out_between_two_hubs(database_url: str) -> None:
    if not _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    from hub.config import Settings
    from hub.main import create_app

    settings = Settings(database_url=database_url, broadcast_url=REDIS_URL, **LIFTED_LIMITS)
    # Two apps, two broadcasters, two connection pools: only Redis links them (and the 2 s
    # poll, which the timing below rules out).
    apps = [create_app(settings), create_app(settings)]
    async with AsyncExitStack() as stack:
        for app in apps:
            stack.push_async_callback(app.state.db.dispose)
        a, b = [await stack.enter_async_context(serve_in_process(app)) for app in apps]
        async with (
            httpx.AsyncClient(base_url=f"http://{a}", timeout=20) as api_a,
            websockets.connect(f"ws://{b}/ws/live") as ws,
        ):
            assert json.loads(await ws.recv())["type"] == "snapshot"
            staff = await _signup(api_a, "hospital_staff", 1)
            started = time.monotonic()
            r = await api_a.post(
                "/api/v1/hospitals",
                json={
                    "name": "CHU",
                    "kind": "hospital",
                    "address": "1 rue du Test",
                    "lat": GRENOBLE[0],
                    "lon": GRENOBLE[1],
                },
                headers=staff,
            )
            assert r.status_code == 201, r.text
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert time.monotonic() - started < 1.0
            assert message["kind"] == "hospital.created"
            assert apps[1].state.live.bus.__class__.__name__ == "RedisBus"
