"""``/ws/live``: snapshot then events, resume by ``since``, areas, slow clients, privacy."""

import asyncio
import json
import socket
from typing import Any

import httpx
import pytest
import websockets
from support.data import BREST, GRENOBLE

from dashboards.protocol import EventMessage
from hub.area_filter import parse_area_param
from hub.rules.totals import add_into
from hub.stats.service import totals


async def _stats(client: httpx.AsyncClient, app: Any, area: str = "FR") -> dict[str, Any]:
    """``GET /stats``, checked against a recount from the tables: /stats moves kept totals
    by the events' deltas (hub.stats.ledger), so on its own it would agree with the stream's
    deltas however wrong they were."""
    r = await client.get("/api/v1/stats", params={"area": area})
    assert r.status_code == 200, r.text
    async with app.state.db.read_sessions() as session:
        assert r.json()["totals"] == await totals(session, parse_area_param(area))
    return dict(r.json())


@pytest.fixture
async def world(hub: Any) -> dict[str, Any]:
    """A hospital and a lab in Grenoble (38, région 84), a hospital in Brest (29, région 53)."""
    staff = await hub.account("hospital_staff")
    grenoble = await hub.site(staff, "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1])
    brest = await hub.site(staff, "hospitals", lat=BREST[0], lon=BREST[1], name="CHU Brest")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs", lat=GRENOBLE[0], lon=GRENOBLE[1], name="Fablab Grenoble")
    return {"staff": staff, "grenoble": grenoble, "brest": brest, "maker": maker, "lab": lab}


async def test_snapshot_equals_stats_then_events_carry_deltas(
    hub, app, client, live, world
) -> None:
    await hub.need(world["staff"], world["grenoble"]["id"], quantity=50)
    async with live(area="FR") as c:
        snapshot = await c.next()
        stats = await _stats(client, app)
        assert snapshot["type"] == "snapshot"
        assert (snapshot["event_id"], snapshot["totals"]) == (stats["event_id"], stats["totals"])
        need = await hub.need(world["staff"], world["grenoble"]["id"], quantity=30)
        batch = await hub.claim(world["maker"], need["id"], world["lab"]["id"], 20)
        progress = await client.post(
            f"/api/v1/batches/{batch['id']}/progress",
            json={"made": 7},
            headers=world["maker"].headers,
        )
        assert progress.status_code == 200, progress.text
        events = await c.events(3)
        assert [e["kind"] for e in events] == ["need.created", "batch.claimed", "batch.progress"]
        assert events[2]["totals_delta"] == {"face-shield-prusa-rc3": {"made": 7}}
        ids = [e["event_id"] for e in events]
        assert ids == sorted(ids) and ids[0] > snapshot["event_id"]
        running = snapshot["totals"]
        for e in events:
            add_into(running, e["totals_delta"])
        after = await _stats(client, app)
        assert after["event_id"] == ids[-1]
        assert running == after["totals"]


async def test_resume_with_since_replays_what_was_missed(hub, app, client, live, world) -> None:
    async with live() as c:
        snapshot = await c.next()
    for quantity in (11, 12, 13):
        await hub.need(world["staff"], world["grenoble"]["id"], quantity=quantity)
    async with live(since=snapshot["event_id"]) as c:
        replayed = await c.events(3)
        assert [e["data"]["quantity"] for e in replayed] == [11, 12, 13]
        resumed = await c.next()
        assert resumed["type"] == "resumed"
        assert resumed["event_id"] == replayed[-1]["event_id"]
        await hub.need(world["staff"], world["grenoble"]["id"], quantity=14)
        (live_event,) = await c.events(1)
        # Nothing twice, nothing skipped: the live stream continues right after the replay.
        assert live_event["data"]["quantity"] == 14
        assert await c.silent()
        running = snapshot["totals"]
        for e in [*replayed, live_event]:
            add_into(running, e["totals_delta"])
        assert running == (await _stats(client, app))["totals"]


async def test_a_gap_older_than_the_replay_limit_gets_a_fresh_snapshot(
    hub, app, client, live, world
) -> None:
    for _ in range(31):  # the test settings replay at most 30 events
        await hub.need(world["staff"], world["grenoble"]["id"], quantity=1)
    async with live(since=1) as c:
        snapshot = await c.next()
        assert snapshot["type"] == "snapshot"
        assert snapshot["totals"] == (await _stats(client, app))["totals"]


async def test_only_events_of_the_requested_area(hub, app, client, live, world) -> None:
    await hub.need(world["staff"], world["brest"]["id"], quantity=5)
    async with live(area="departement:29") as finistere, live(area="region:84") as ara:
        for c, area in ((finistere, "departement:29"), (ara, "region:84")):
            snapshot = await c.next()
            assert snapshot["area"] == area
            assert snapshot["totals"] == (await _stats(client, app, area))["totals"]
        await hub.need(world["staff"], world["grenoble"]["id"], quantity=21)
        await hub.need(world["staff"], world["brest"]["id"], quantity=22)
        (brest,) = await finistere.events(1)
        (grenoble,) = await ara.events(1)
        assert (brest["departement"], brest["data"]["quantity"]) == ("29", 22)
        assert (grenoble["region"], grenoble["data"]["quantity"]) == ("84", 21)
        assert await finistere.silent(0.2)
        assert await ara.silent(0.2)


async def test_a_coordinator_gets_no_contact_of_a_lab_outside_their_area(
    hub, client, live, world
) -> None:
    """The hole: a région-84 coordinator got, in an event's ``names``, the contact of a
    région-53 lab that the REST API refuses them. Contacts follow the REST rule: a site's
    contact goes to coordinators whose area holds the site itself."""
    breton = await hub.account("maker")
    lab = await hub.site(breton, "labs", lat=BREST[0], lon=BREST[1], name="Fablab Brest")
    need = await hub.need(world["staff"], world["grenoble"]["id"], quantity=40)
    here = await hub.account("coordinator", area="region:84")
    national = await hub.account("coordinator")
    async with (
        live(area="region:84", token=here.token) as regional,
        live(area="FR", token=national.token) as everywhere,
    ):
        for c in (regional, everywhere):
            assert (await c.next())["detailed"] is True
        await hub.claim(breton, need["id"], lab["id"], 10)
        mine, all_of_france = (await regional.events(1))[0], (await everywhere.events(1))[0]
    assert mine["names"]["lab"]["name"] == "Fablab Brest"  # a name, for the feed
    assert "contact_phone" not in mine["names"]["lab"]
    assert mine["names"]["hospital"]["contact_phone"] == "+33 4 76 00 00 00"  # in 84: theirs
    assert all_of_france["names"]["lab"]["contact_phone"] == "+33 4 76 00 00 00"
    rest = await client.get(f"/api/v1/labs/{lab['id']}", headers=here.headers)
    assert rest.json()["contact_phone"] is None  # the same answer as the stream's


async def test_names_only_with_a_coordinators_token(hub, client, live, world, base_url) -> None:
    national = await hub.account("coordinator")
    breton = await hub.account("coordinator", area="region:53")
    async with (
        live() as public,
        live(token=national.token) as coordinator,
        live(token=breton.token) as elsewhere,
    ):
        snapshots = [await c.next() for c in (public, coordinator, elsewhere)]
        assert [s["detailed"] for s in snapshots] == [False, True, False]
        await hub.need(world["staff"], world["grenoble"]["id"], quantity=9)
        anonymous, named, other = [(await c.events(1))[0] for c in (public, coordinator, elsewhere)]
        assert "names" not in anonymous and "names" not in other
        assert named["names"]["hospital"]["name"] == world["grenoble"]["name"]
        assert named["names"]["hospital"]["contact_phone"] == "+33 4 76 00 00 00"
        assert "Dr Contact" not in json.dumps(anonymous)
    # Browsers send the token as a subprotocol, keeping it out of URLs and access logs.
    offered = ["hub.bearer", national.token]
    async with websockets.connect(f"ws://{base_url}/ws/live", subprotocols=offered) as ws:
        assert ws.subprotocol == "hub.bearer"
        assert json.loads(await ws.recv())["detailed"] is True
    async with live(token="not-a-token") as bad:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await bad.next()
        assert closed.value.rcvd.code == 4401
    # A token in the URL is not read (it would end up in access logs): the public stream.
    async with websockets.connect(f"ws://{base_url}/ws/live?token={national.token}") as ws:
        assert json.loads(await ws.recv())["detailed"] is False


async def test_bad_area_is_refused_with_a_reason(live) -> None:
    async with live(area="region:99") as c:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await c.next()
        assert closed.value.rcvd.code == 4400
        assert "région" in closed.value.rcvd.reason


@pytest.mark.parametrize("query", ["area=region:84%C2%85", "area=FR&since=1%00"])
async def test_control_characters_in_the_query_are_refused(base_url, query: str) -> None:
    """As over HTTP: refused with the reason, not stripped (found attacking the stream)."""
    async with websockets.connect(f"ws://{base_url}/ws/live?{query}") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd.code == 4400
        assert "control characters" in closed.value.rcvd.reason


async def test_idle_connections_get_heartbeats(base_url) -> None:
    async with websockets.connect(f"ws://{base_url}/ws/live") as ws:
        assert json.loads(await ws.recv())["type"] == "snapshot"
        beat = json.loads(await asyncio.wait_for(ws.recv(), 3))
        assert beat["type"] == "heartbeat"


def _stalled_client(base_url: str) -> socket.socket:
    """Open a websocket by hand, with a tiny receive window, and then never read from it."""
    host, port = base_url.split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((host, int(port)))
    raw.sendall(
        b"GET /ws/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert raw.recv(12) == b"HTTP/1.1 101"
    return raw


async def test_a_stalled_client_is_dropped_without_delaying_the_others(app, base_url, live) -> None:
    # The stalled client's kernel buffer fills, then the server's sends to it block, then its
    # queue (16 in the test settings) overflows: it is dropped, the healthy client is not.
    stalled = await asyncio.to_thread(_stalled_client, base_url)
    broadcaster = app.state.live.broadcaster
    async with live() as healthy:
        await healthy.next()
        for _ in range(100):
            if broadcaster.client_count == 2:
                break
            await asyncio.sleep(0.01)
        assert broadcaster.client_count == 2
        # Big synthetic events: several MB in total, far more than the socket buffers hold.
        filler = "x" * 60_000
        n = 150
        start = broadcaster.last_id
        loop = asyncio.get_running_loop()
        began = loop.time()
        got = []
        for i in range(1, n + 1):
            text = json.dumps({"type": "event", "event_id": start + i, "pad": filler})
            broadcaster.deliver(EventMessage(start + i, ("FR",), text, {"FR": text}))
            got.append((await healthy.next())["event_id"])
        assert got == list(range(start + 1, start + n + 1))
        assert loop.time() - began < 5
        assert broadcaster.dropped == 1
        assert broadcaster.client_count == 1
    stalled.close()
