"""Needs: posting, idempotent retries, bad input, filters, cancellation."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from support.data import BREST, GRENOBLE, LYON

from hub.timeutil import today


async def _count_needs(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return int((await client.get("/api/v1/needs", headers=headers)).json()["total"])


async def test_retried_post_with_same_key_creates_one_need(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    body = {
        "hospital_id": hospital["id"],
        "design": "ear-saver",
        "quantity": 500,
        "needed_by": (today() + timedelta(days=3)).isoformat(),
        "priority": "critical",
    }
    headers = {**staff.headers, "Idempotency-Key": "retry-me-42"}
    first = await client.post("/api/v1/needs", json=body, headers=headers)
    second = await client.post("/api/v1/needs", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert await _count_needs(client, staff.headers) == 1
    # The same key with another body is a client bug, not a retry.
    other = await client.post("/api/v1/needs", json={**body, "quantity": 7}, headers=headers)
    assert other.status_code == 422
    assert await _count_needs(client, staff.headers) == 1


async def test_a_posted_need_answers_as_it_is_read_back(hub, client: httpx.AsyncClient) -> None:
    """The answer to a post (rendered without summing batches: it has none yet) is the need
    as a replay and a read show it, progress included."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    body = {
        "hospital_id": hospital["id"],
        "design": "ear-saver",
        "accepts": ["face-shield-prusa-rc3"],
        "quantity": 120,
        "needed_by": (today() + timedelta(days=5)).isoformat(),
    }
    headers = {**staff.headers, "Idempotency-Key": "read-back"}
    posted = (await client.post("/api/v1/needs", json=body, headers=headers)).json()
    replayed = (await client.post("/api/v1/needs", json=body, headers=headers)).json()
    read = (await client.get(f"/api/v1/needs/{posted['id']}", headers=staff.headers)).json()
    assert posted == replayed == read
    assert posted["progress"]["remaining"] == posted["progress"]["stages"]["requested"] == 120


async def test_concurrent_retries_create_one_need(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    body = {
        "hospital_id": hospital["id"],
        "design": "ear-saver",
        "quantity": 50,
        "needed_by": (today() + timedelta(days=3)).isoformat(),
        "priority": "normal",
    }
    headers = {**staff.headers, "Idempotency-Key": "burst"}
    results = await asyncio.gather(
        *[client.post("/api/v1/needs", json=body, headers=headers) for _ in range(8)]
    )
    ids = {r.json()["id"] for r in results if r.status_code == 201}
    assert len(ids) == 1
    assert all(r.status_code in (201, 409) for r in results)
    assert await _count_needs(client, staff.headers) == 1


def _bad_bodies() -> list[tuple[str, dict]]:
    soon = (today() + timedelta(days=5)).isoformat()
    return [
        ("negative quantity", {"quantity": -5}),
        ("zero quantity", {"quantity": 0}),
        ("huge quantity", {"quantity": 10**12}),
        ("quantity as text", {"quantity": "lots"}),
        ("unknown design", {"design": "unicorn-horn"}),
        ("unknown accepted design", {"accepts": ["unicorn-horn"]}),
        ("unknown priority", {"priority": "whenever"}),
        ("past date", {"needed_by": (today() - timedelta(days=1)).isoformat()}),
        ("not a date", {"needed_by": "next tuesday"}),
        ("missing hospital", {"hospital_id": None}),
        ("extra field", {"colour": "blue"}),
        ("ok date, bad priority case", {"needed_by": soon, "priority": "CRITICAL"}),
    ]


@pytest.mark.parametrize(("why", "patch"), _bad_bodies(), ids=[w for w, _ in _bad_bodies()])
async def test_bad_need_is_422_with_message_and_changes_nothing(
    hub, client: httpx.AsyncClient, why: str, patch: dict
) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    body = {
        "hospital_id": hospital["id"],
        "design": "face-shield-prusa-rc3",
        "quantity": 10,
        "needed_by": (today() + timedelta(days=5)).isoformat(),
        "priority": "high",
        **patch,
    }
    body = {k: v for k, v in body.items() if v is not None}
    r = await client.post("/api/v1/needs", json=body, headers=staff.headers)
    assert r.status_code == 422, (why, r.text)
    assert isinstance(r.json()["detail"], str) and len(r.json()["detail"]) > 5
    assert "Traceback" not in r.text
    assert await _count_needs(client, staff.headers) == 0


async def test_malformed_json_is_422(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    r = await client.post(
        "/api/v1/needs",
        content=b'{"hospital_id": 1, "design": ',
        headers={**staff.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert "JSON" in r.json()["detail"]


async def test_oversized_body_is_refused_and_changes_nothing(
    hub, client: httpx.AsyncClient
) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    body = {
        "hospital_id": hospital["id"],
        "design": "ear-saver",
        "quantity": 10,
        "needed_by": (today() + timedelta(days=5)).isoformat(),
        "priority": "high",
        "padding": "x" * 2_000_000,
    }
    r = await client.post("/api/v1/needs", json=body, headers=staff.headers)
    assert r.status_code == 422
    assert "larger than" in r.json()["detail"]
    assert await _count_needs(client, staff.headers) == 0


async def test_only_staff_of_the_hospital_post_needs(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    other = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    body = {
        "hospital_id": hospital["id"],
        "design": "ear-saver",
        "quantity": 10,
        "needed_by": (today() + timedelta(days=5)).isoformat(),
        "priority": "high",
    }
    assert (await client.post("/api/v1/needs", json=body)).status_code == 401
    assert (await client.post("/api/v1/needs", json=body, headers=other.headers)).status_code == 403


async def test_pending_hospital_needs_are_visible_but_flagged(
    hub, client: httpx.AsyncClient
) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals", verified=False)
    need = await hub.need(staff, hospital["id"])
    assert need["flagged"] is True
    await hub.verified("hospitals", hospital["id"])
    again = await client.get(f"/api/v1/needs/{need['id']}", headers=staff.headers)
    assert again.json()["flagged"] is False


async def test_filters_and_near(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    grenoble = await hub.site(staff, "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1])
    brest = await hub.site(staff, "hospitals", lat=BREST[0], lon=BREST[1])
    n1 = await hub.need(staff, grenoble["id"], design="ear-saver")
    n2 = await hub.need(staff, brest["id"])
    h = staff.headers
    by_area = (await client.get("/api/v1/needs?area=region:53", headers=h)).json()
    assert [n["id"] for n in by_area["items"]] == [n2["id"]]
    by_dep = (await client.get("/api/v1/needs?area=departement:38", headers=h)).json()
    assert [n["id"] for n in by_dep["items"]] == [n1["id"]]
    by_design = (await client.get("/api/v1/needs?design=ear-saver", headers=h)).json()
    assert [n["id"] for n in by_design["items"]] == [n1["id"]]
    near = (
        await client.get(f"/api/v1/needs?near={LYON[0]},{LYON[1]}&radius_km=150", headers=h)
    ).json()
    assert [n["id"] for n in near["items"]] == [n1["id"]]
    # Lyon-Grenoble is about 95 km as the crow flies.
    assert 85 < near["items"][0]["distance_km"] < 105
    wide = (
        await client.get(f"/api/v1/needs?near={LYON[0]},{LYON[1]}&radius_km=1000", headers=h)
    ).json()
    assert [n["id"] for n in wide["items"]] == [n1["id"], n2["id"]]
    assert (await client.get("/api/v1/needs?area=planet:mars", headers=h)).status_code == 422
    assert (await client.get("/api/v1/needs?near=here", headers=h)).status_code == 422


async def test_pagination(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    ids = [(await hub.need(staff, hospital["id"], quantity=q))["id"] for q in (1, 2, 3, 4, 5)]
    page1 = (await client.get("/api/v1/needs?limit=2", headers=staff.headers)).json()
    page3 = (await client.get("/api/v1/needs?limit=2&offset=4", headers=staff.headers)).json()
    assert page1["total"] == 5
    assert [n["id"] for n in page1["items"]] == ids[:2]
    assert [n["id"] for n in page3["items"]] == ids[4:]


async def test_cancel_need_cancels_open_batches(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"], quantity=50)
    batch = await hub.claim(maker, need["id"], lab["id"], 20)
    stranger = await hub.account("hospital_staff")
    url = f"/api/v1/needs/{need['id']}/cancel"
    assert (await client.post(url, headers=stranger.headers)).status_code == 403
    r = await client.post(url, headers=staff.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"
    b = await client.get(f"/api/v1/batches/{batch['id']}", headers=maker.headers)
    assert b.json()["state"] == "cancelled"
    assert (await client.post(url, headers=staff.headers)).status_code == 409
    claim = await client.post(
        f"/api/v1/needs/{need['id']}/claims",
        json={"lab_id": lab["id"], "quantity": 1},
        headers=maker.headers,
    )
    assert claim.status_code == 409


async def test_open_filter_keeps_needs_with_units_left(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    partly = await hub.need(staff, hospital["id"], quantity=50)
    fully = await hub.need(staff, hospital["id"], quantity=20)
    for need, quantity in ((partly, 30), (fully, 20)):
        await hub.claim(maker, need["id"], lab["id"], quantity)
    found = await client.get("/api/v1/needs?open=true", headers=maker.headers)
    assert [(n["id"], n["progress"]["remaining"]) for n in found.json()["items"]] == [
        (partly["id"], 20)
    ]
