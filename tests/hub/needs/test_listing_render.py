"""A listed need reads as the need itself does: ``GET /needs`` renders rows of columns
(``hub.needs.listing``), ``GET /needs/{id}`` an entity; both must show the same thing."""

from typing import Any

import httpx


async def _read(client: httpx.AsyncClient, need_id: int, headers: dict[str, str]) -> Any:
    r = await client.get(f"/api/v1/needs/{need_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_every_listing_shows_each_need_as_reading_it_does(
    hub: Any, client: httpx.AsyncClient
) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    pending = await hub.site(staff, "hospitals", lat=45.2, lon=5.73, verified=False)
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    fresh = await hub.need(staff, hospital["id"], quantity=40)
    flagged = await hub.need(staff, pending["id"], quantity=7, accepts=["ear-saver"])
    started = await hub.need(staff, hospital["id"], quantity=50)
    batch = await hub.claim(maker, started["id"], lab["id"], 30)
    made = await client.post(
        f"/api/v1/batches/{batch['id']}/progress", json={"made": 12}, headers=maker.headers
    )
    assert made.status_code == 200, made.text
    cancelled = await hub.need(staff, hospital["id"], quantity=9)
    await hub.claim(maker, cancelled["id"], lab["id"], 4)
    r = await client.post(f"/api/v1/needs/{cancelled['id']}/cancel", headers=staff.headers)
    assert r.status_code == 200, r.text
    ids = [fresh["id"], flagged["id"], started["id"], cancelled["id"]]

    for query in ("", "?near=45.19,5.72&radius_km=20", "?limit=2&offset=1", "?open=true"):
        listed = await client.get(f"/api/v1/needs{query}", headers=maker.headers)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert items, query
        for item in items:
            alone = await _read(client, item["id"], maker.headers)
            if "near" in query:
                assert isinstance(item.pop("distance_km"), float)
                alone.pop("distance_km")
            assert item == alone, query

    # What the renderings show, from the actions above rather than from the code.
    by_id = {
        n["id"]: n
        for n in (await client.get("/api/v1/needs", headers=maker.headers)).json()["items"]
    }
    assert set(by_id) == set(ids)
    assert by_id[flagged["id"]]["flagged"] is True
    assert by_id[flagged["id"]]["hospital"]["verified"] is False
    assert by_id[flagged["id"]]["accepts"] == ["ear-saver", "face-shield-prusa-rc3"]
    assert by_id[fresh["id"]]["progress"]["stages"]["requested"] == 40
    progress = by_id[started["id"]]["progress"]
    assert (progress["claimed"], progress["made"], progress["remaining"]) == (30, 12, 20)
    assert progress["stages"] == {
        "requested": 20,
        "proposed": 0,
        "being_made": 30,
        "ready": 0,
        "on_the_way": 0,
        "delivered": 0,
        "received": 0,
    }
    assert by_id[cancelled["id"]]["status"] == "cancelled"
    assert by_id[cancelled["id"]]["progress"]["remaining"] == 0
