"""Operations in process: /metrics, /healthz, /readyz, request ids in logs and on events."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from support.scenario import Hub

from hub.config import Settings
from hub.db import Database
from hub.events.models import Event
from hub.main import create_app
from hub.migrate import upgrade
from hub.ops.context import request_id_from
from hub.ops.logs import JsonFormatter


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics text by (name, sorted labels)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(metrics: dict[Any, float], name: str, **labels: str) -> float:
    """One sample's value, 0 when absent."""
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client: httpx.AsyncClient, **headers: str) -> dict[Any, float]:
    """GET /metrics, parsed."""
    r = await client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return samples(r.text)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the hub's loggers write, as JSON lines, while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("hub")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


async def test_metrics_move_after_requests(client: httpx.AsyncClient, hub: Hub) -> None:
    """Requests by route template and status, latency, events and pool readings all show."""
    before = await scrape(client)
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals", verified=False)
    for _ in range(3):
        await hub.need(staff, hospital["id"])
    assert (await client.get(f"/api/v1/needs/{10**9}", headers=staff.headers)).status_code == 404
    after = await scrape(client)
    created = ("hub_requests_total", {"method": "POST", "route": "/api/v1/needs", "status": "201"})
    assert value(after, created[0], **created[1]) - value(before, created[0], **created[1]) == 3
    # The template, not the path: one series for every id.
    missing = {"method": "GET", "route": "/api/v1/needs/{need_id}", "status": "404"}
    assert value(after, "hub_requests_total", **missing) >= 1
    latency = {"method": "POST", "route": "/api/v1/needs"}
    assert value(after, "hub_request_duration_seconds_count", **latency) >= 3
    assert value(after, "hub_request_duration_seconds_sum", **latency) > 0
    need_events = value(after, "hub_events_total", kind="need.created") - value(
        before, "hub_events_total", kind="need.created"
    )
    assert need_events == 3
    assert value(after, "hub_websocket_clients") == 0
    assert ("hub_db_pool_connections", (("engine", "write"), ("state", "size"))) in after
    assert ("hub_matcher_duration_seconds_count", ()) in after
    assert ("hub_route_planner_duration_seconds_count", ()) in after


async def test_metrics_are_for_operators(settings: Settings) -> None:
    """Outside the allowed networks, /metrics needs the token; through a proxy, always."""
    app = create_app(settings.model_copy(update={"metrics_token": "s3cret-scrape"}))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 4000)),
            base_url="http://hub.test",
        ) as far:
            r = await far.get("/metrics", headers={"accept-language": "fr"})
            assert r.status_code == 403
            assert "jeton" in r.json()["detail"]
            assert (
                await far.get("/metrics", headers={"authorization": "Bearer nope"})
            ).status_code == 403
            await scrape(far, authorization="Bearer s3cret-scrape")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 4000)),
            base_url="http://hub.test",
        ) as local:
            await scrape(local)
            # A reverse proxy on this machine relays everyone's requests from 127.0.0.1.
            relayed = await local.get("/metrics", headers={"x-forwarded-for": "198.51.100.7"})
            assert relayed.status_code == 403
    finally:
        await app.state.db.dispose()


async def test_metrics_are_not_in_the_api_description(client: httpx.AsyncClient) -> None:
    """/metrics is for scrapers: not an operation of the API (the access matrix's scope)."""
    spec = (await client.get("/openapi.json")).json()
    assert "/metrics" not in spec["paths"]


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    """Alive and ready on a migrated database."""
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}


async def test_not_ready_on_a_database_with_an_old_migration(blank_database_url: str) -> None:
    """A database one migration behind the code: /readyz says 503 until it is upgraded."""
    db = Database(blank_database_url)
    await upgrade(db.engine, "0006")
    await db.dispose()
    app = create_app(Settings(database_url=blank_database_url))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
        ) as c:
            assert (await c.get("/healthz")).status_code == 200
            r = await c.get("/readyz")
            assert r.status_code == 503, r.text
            assert r.json()["status"] == "migrations not current"
            assert r.json()["database"] == ["0006"]
            await upgrade(app.state.db.engine)
            assert (await c.get("/readyz")).status_code == 200
    finally:
        await app.state.db.dispose()


@pytest.mark.postgres
async def test_postgres_pool_is_sized_by_the_settings(
    postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HUB_DB_POOL_SIZE connections stay open; HUB_DB_MAX_OVERFLOW more open for a burst."""
    monkeypatch.setenv("HUB_DB_POOL_SIZE", "3")
    monkeypatch.setenv("HUB_DB_MAX_OVERFLOW", "1")
    app = create_app(Settings(database_url=postgres_database_url))
    engine = app.state.db.engine
    pool = engine.sync_engine.pool
    try:
        held = [await engine.connect() for _ in range(4)]
        for connection in held:
            await connection.execute(select(1))
        with pytest.raises(TimeoutError):  # a fifth waits for one of the four
            await asyncio.wait_for(engine.connect(), 0.5)
        for connection in held:
            await connection.close()
        assert pool.checkedout() == 0
        assert pool.checkedin() == 3  # the burst's connection was closed, the pool's kept
    finally:
        await app.state.db.dispose()


async def test_request_id_in_the_log_the_answer_and_the_events(
    client: httpx.AsyncClient, hub: Hub, app: Any, json_log: io.StringIO
) -> None:
    """A sane X-Request-ID is echoed, logged as JSON and stored on the events it wrote."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals", verified=False)
    rid = "edge-7f3a.1:abc"
    need = await hub.need(staff, hospital["id"], **{})  # without an id: a generated one
    r = await client.post(
        "/api/v1/needs",
        json={
            "hospital_id": hospital["id"],
            "design": "face-shield-prusa-rc3",
            "quantity": 5,
            "needed_by": need["needed_by"],
            "priority": "high",
        },
        headers={**staff.headers, "X-Request-ID": rid},
    )
    assert r.status_code == 201, r.text
    assert r.headers["x-request-id"] == rid
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= line.keys()
    mine = [x for x in lines if x.get("request_id") == rid and x["logger"] == "hub.access"]
    assert len(mine) == 1
    assert mine[0] | {"duration": 0} == mine[0] | {
        "method": "POST",
        "path": "/api/v1/needs",
        "route": "/api/v1/needs",
        "status": 201,
        "duration": 0,
    }
    assert mine[0]["duration"] > 0
    async with app.state.db.read_sessions() as session:
        events = (await session.scalars(select(Event).where(Event.request_id == rid))).all()
        assert [e.kind for e in events] == ["need.created"]
        assert events[0].entity_id == r.json()["id"]
        other = await session.scalar(
            select(Event).where(Event.kind == "need.created", Event.entity_id == need["id"])
        )
        assert other is not None and other.request_id and other.request_id != rid


async def test_an_insane_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    """Newlines (forged log lines), spaces or 200 characters: the hub makes its own id."""
    for bad in ("two words", "x" * 200, "a\u00e9b".encode("latin-1")):
        r = await client.get("/healthz", headers={"X-Request-ID": bad})
        assert r.headers["x-request-id"] not in (bad, "a\u00e9b")
        assert len(r.headers["x-request-id"]) == 32
    assert request_id_from("line\nforged") != "line\nforged"
    assert request_id_from(None) != request_id_from(None)


MULTIPROC_READER = """
from types import SimpleNamespace
from hub.db import Database
from hub.ops.metrics import render
db = Database("sqlite+aiosqlite:///unused.sqlite")
print(render(SimpleNamespace(state=SimpleNamespace(live=None, db=db)))[0].decode())
"""


def test_several_worker_processes_share_counters(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, any worker's /metrics sums every worker's counters."""
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    count = "from hub.ops.metrics import REQUESTS; REQUESTS.labels('GET', '/x', '200').inc(3)"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, cwd=tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", MULTIPROC_READER],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert value(samples(out), "hub_requests_total", method="GET", route="/x", status="200") == 6
