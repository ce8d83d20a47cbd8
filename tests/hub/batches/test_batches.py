"""Batches: the life cycle, forward-only counters, and over-claim races."""

import asyncio

import httpx
import pytest
from support.data import BREST

from hub.rules.totals import add_into

DESIGN = "face-shield-prusa-rc3"


@pytest.fixture
async def world(hub):
    """One hospital with a need of 100, one lab, their people."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"], quantity=100)
    return {"staff": staff, "hospital": hospital, "maker": maker, "lab": lab, "need": need}


async def _claim(client, world, quantity: int, who=None) -> httpx.Response:
    who = who or world["maker"]
    return await client.post(
        f"/api/v1/needs/{world['need']['id']}/claims",
        json={"lab_id": world["lab"]["id"], "quantity": quantity},
        headers=who.headers,
    )


async def test_full_journey_claim_to_receipt(hub, client: httpx.AsyncClient, world) -> None:
    m, s = world["maker"].headers, world["staff"].headers
    batch = (await _claim(client, world, 40)).json()
    assert batch["state"] == "claimed"
    assert len(batch["code"]) == 8
    bid = batch["id"]
    assert (
        await client.post(f"/api/v1/batches/{bid}/progress", json={"made": 10}, headers=m)
    ).json()["made"] == 10
    need = (await client.get(f"/api/v1/needs/{world['need']['id']}", headers=s)).json()
    assert need["progress"]["claimed"] == 40
    assert need["progress"]["made"] == 10
    assert need["progress"]["remaining"] == 60
    await client.post(f"/api/v1/batches/{bid}/progress", json={"made": 40}, headers=m)
    ready = await client.post(f"/api/v1/batches/{bid}/ready", headers=m)
    assert ready.json()["state"] == "ready"
    receipt = await client.post(
        f"/api/v1/batches/{bid}/receipt",
        json={"accepted": 38, "rejected": 2, "reason": "cracked visors"},
        headers=s,
    )
    assert receipt.status_code == 200, receipt.text
    body = receipt.json()
    assert body["state"] == "received"
    assert (body["accepted"], body["rejected"], body["delivered"]) == (38, 2, 40)
    again = await client.post(f"/api/v1/batches/{bid}/receipt", json={"accepted": 40}, headers=s)
    assert again.status_code == 409


async def test_ready_with_partial_made_releases_the_rest(client: httpx.AsyncClient, world) -> None:
    m = world["maker"].headers
    bid = (await _claim(client, world, 100)).json()["id"]
    assert (await _claim(client, world, 1)).status_code == 409
    await client.post(f"/api/v1/batches/{bid}/progress", json={"made": 70}, headers=m)
    ready = (
        await client.post(f"/api/v1/batches/{bid}/ready", json={"rest": "release"}, headers=m)
    ).json()
    assert ready["quantity"] == 70
    assert (await _claim(client, world, 30)).status_code == 201


async def test_counters_never_go_backwards_or_past_quantity(
    client: httpx.AsyncClient, world
) -> None:
    m = world["maker"].headers
    bid = (await _claim(client, world, 20)).json()["id"]
    url = f"/api/v1/batches/{bid}/progress"
    assert (await client.post(url, json={"made": 15}, headers=m)).status_code == 200
    back = await client.post(url, json={"made": 14}, headers=m)
    assert back.status_code == 409
    assert "only goes up" in back.json()["detail"]
    over = await client.post(url, json={"made": 21}, headers=m)
    assert over.status_code == 422
    negative = await client.post(url, json={"made": -1}, headers=m)
    assert negative.status_code == 422
    batch = (await client.get(f"/api/v1/batches/{bid}", headers=m)).json()
    assert batch["made"] == 15


async def test_receipt_cannot_count_more_than_made(client: httpx.AsyncClient, world) -> None:
    m, s = world["maker"].headers, world["staff"].headers
    bid = (await _claim(client, world, 20)).json()["id"]
    await client.post(f"/api/v1/batches/{bid}/progress", json={"made": 20}, headers=m)
    early = await client.post(f"/api/v1/batches/{bid}/receipt", json={"accepted": 5}, headers=s)
    assert early.status_code == 409  # not ready yet
    await client.post(f"/api/v1/batches/{bid}/ready", headers=m)
    too_many = await client.post(
        f"/api/v1/batches/{bid}/receipt",
        json={"accepted": 20, "rejected": 1, "reason": "x"},
        headers=s,
    )
    assert too_many.status_code == 422
    no_reason = await client.post(
        f"/api/v1/batches/{bid}/receipt", json={"accepted": 10, "rejected": 1}, headers=s
    )
    assert no_reason.status_code == 422
    assert (await client.get(f"/api/v1/batches/{bid}", headers=m)).json()["state"] == "ready"


async def test_invalid_transitions_are_409(client: httpx.AsyncClient, world) -> None:
    m = world["maker"].headers
    bid = (await _claim(client, world, 20)).json()["id"]
    assert (await client.post(f"/api/v1/batches/{bid}/accept", headers=m)).status_code == 409
    assert (await client.post(f"/api/v1/batches/{bid}/decline", headers=m)).status_code == 409
    nothing_made = await client.post(f"/api/v1/batches/{bid}/ready", headers=m)
    assert nothing_made.status_code == 409
    assert (await client.post(f"/api/v1/batches/{bid}/cancel", headers=m)).status_code == 200
    again = await client.post(f"/api/v1/batches/{bid}/progress", json={"made": 1}, headers=m)
    assert again.status_code == 409


async def test_forty_concurrent_claims_of_ten_on_a_hundred(
    client: httpx.AsyncClient, world
) -> None:
    """Exactly ten succeed; the rest get 409; the need is never over-claimed."""
    results = await asyncio.gather(*[_claim(client, world, 10) for _ in range(40)])
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 10, codes
    assert codes.count(409) == 30, codes
    listing = await client.get(
        f"/api/v1/batches?need_id={world['need']['id']}&limit=500",
        headers=world["maker"].headers,
    )
    assert sum(b["quantity"] for b in listing.json()["items"]) == 100


async def test_concurrent_progress_reports_never_regress(client: httpx.AsyncClient, world) -> None:
    m = world["maker"].headers
    bid = (await _claim(client, world, 100)).json()["id"]
    values = list(range(1, 101))
    results = await asyncio.gather(
        *[
            client.post(f"/api/v1/batches/{bid}/progress", json={"made": v}, headers=m)
            for v in reversed(values)
        ]
    )
    assert all(r.status_code in (200, 409) for r in results)
    final = (await client.get(f"/api/v1/batches/{bid}", headers=m)).json()
    assert final["made"] == 100
    events = (await client.get("/api/v1/events?limit=1000", headers=m)).json()["items"]
    made_seen = [e["payload"]["made"] for e in events if e["kind"] == "batch.progress"]
    assert made_seen == sorted(made_seen)


async def test_stats_equal_the_sum_of_event_deltas(client: httpx.AsyncClient, world, hub) -> None:
    m, s = world["maker"].headers, world["staff"].headers
    b1 = (await _claim(client, world, 30)).json()["id"]
    b2 = (await _claim(client, world, 20)).json()["id"]
    await client.post(f"/api/v1/batches/{b1}/progress", json={"made": 30}, headers=m)
    await client.post(f"/api/v1/batches/{b1}/ready", headers=m)
    await client.post(f"/api/v1/batches/{b2}/progress", json={"made": 5}, headers=m)
    await client.post(f"/api/v1/batches/{b2}/cancel", headers=m)
    await client.post(
        f"/api/v1/batches/{b1}/receipt",
        json={"accepted": 29, "rejected": 1, "reason": "broken"},
        headers=s,
    )
    events = (await client.get("/api/v1/events?limit=1000", headers=s)).json()["items"]
    running: dict = {}
    for e in events:
        add_into(running, e["payload"].get("totals_delta", {}))
    stats = (await client.get("/api/v1/stats")).json()["totals"]
    for design, counters in stats.items():
        for name, value in counters.items():
            assert running.get(design, {}).get(name, 0) == value, (design, name)
    shield = stats["face-shield-prusa-rc3"]
    assert shield["requested"] == 100
    assert shield["claimed"] == 30
    assert shield["accepted"] == 29
    assert shield["rejected"] == 1
    area = (await client.get("/api/v1/stats?area=region:53")).json()["totals"]
    assert area == {}


async def test_box_label_shows_the_tracking_code(client: httpx.AsyncClient, world, hub) -> None:
    batch = (await _claim(client, world, 12)).json()
    url = f"/api/v1/batches/{batch['id']}/label"
    page = await client.get(url, headers=world["maker"].headers)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert batch["code"] in page.text
    assert world["hospital"]["name"] in page.text
    assert "Code de suivi" in page.text
    english = await client.get(f"{url}?lang=en", headers=world["maker"].headers)
    assert "Tracking code" in english.text
    stranger = await hub.account("maker")
    assert (await client.get(url, headers=stranger.headers)).status_code == 403


async def test_a_coordinator_corrects_a_mistyped_made_count(
    client: httpx.AsyncClient, world, hub
) -> None:
    """A maker typed 30 for 3: only a coordinator can bring it down; the totals follow, the
    event says what it was and why, and the correction keeps to the batch's bounds."""
    m = world["maker"].headers
    coordinator = await hub.account("coordinator")
    c = coordinator.headers
    bid = (await _claim(client, world, 40)).json()["id"]
    await client.post(f"/api/v1/batches/{bid}/progress", json={"made": 30}, headers=m)
    made_before = (await client.get("/api/v1/stats")).json()["totals"][DESIGN]["made"]
    down = await client.post(f"/api/v1/batches/{bid}/progress", json={"made": 3}, headers=m)
    assert down.status_code == 409  # the maker cannot go down
    fixed = await client.post(
        f"/api/v1/batches/{bid}/correct", json={"made": 3, "reason": "typed 30 for 3"}, headers=c
    )
    assert fixed.status_code == 200 and fixed.json()["made"] == 3
    made_after = (await client.get("/api/v1/stats")).json()["totals"][DESIGN]["made"]
    assert made_after == made_before - 27
    events = (await client.get("/api/v1/events?limit=1000", headers=c)).json()["items"]
    last = [e for e in events if e["kind"] == "batch.corrected"]
    assert len(last) == 1
    assert last[0]["payload"]["previous_made"] == 30
    assert last[0]["payload"]["reason"] == "typed 30 for 3"
    # Bounds: not above the quantity, not without a reason, not once the batch is ready.
    too_many = await client.post(
        f"/api/v1/batches/{bid}/correct", json={"made": 41, "reason": "x"}, headers=c
    )
    assert too_many.status_code == 422
    no_reason = await client.post(f"/api/v1/batches/{bid}/correct", json={"made": 2}, headers=c)
    assert no_reason.status_code == 422
    await client.post(f"/api/v1/batches/{bid}/ready", json={"rest": "release"}, headers=m)
    late = await client.post(
        f"/api/v1/batches/{bid}/correct", json={"made": 1, "reason": "x"}, headers=c
    )
    assert late.status_code == 409
    assert (await client.get(f"/api/v1/batches/{bid}", headers=m)).json()["made"] == 3


async def test_list_by_area_of_the_need(hub, client: httpx.AsyncClient, world) -> None:
    """``area`` keeps the batches whose need lies in it; a malformed area is a 422."""
    brest_hospital = await hub.site(world["staff"], "hospitals", lat=BREST[0], lon=BREST[1])
    brest_need = await hub.need(world["staff"], brest_hospital["id"], quantity=50)
    grenoble = (await _claim(client, world, 10)).json()
    brest = await client.post(
        f"/api/v1/needs/{brest_need['id']}/claims",
        json={"lab_id": world["lab"]["id"], "quantity": 5},
        headers=world["maker"].headers,
    )
    assert brest.status_code == 201, brest.text
    h = world["maker"].headers

    async def ids(query: str) -> list[int]:
        r = await client.get(f"/api/v1/batches?{query}", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == len(r.json()["items"])
        return [b["id"] for b in r.json()["items"]]

    assert await ids("area=region:84") == [grenoble["id"]]
    assert await ids("area=departement:29") == [brest.json()["id"]]
    assert sorted(await ids("area=FR")) == sorted([grenoble["id"], brest.json()["id"]])
    assert await ids("area=region:84&state=proposed") == []
    r = await client.get("/api/v1/batches?area=planet:earth", headers=h)
    assert r.status_code == 422
    assert "region:CODE" in r.json()["detail"]
