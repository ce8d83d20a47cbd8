"""The hub passes each site's landmass: a lab in Corsica is never proposed to a hospital in
Nice, unless HUB_ALLOW_SEA_CROSSINGS; a driver is never routed across the sea."""

from typing import Any

import httpx
import pytest
from support.data import LIFTED_LIMITS

from hub.config import Settings

NICE = (43.7102, 7.2620)
BASTIA = (42.6970, 9.4503)
DESIGN = "face-shield-prusa-rc3"


async def _world(hub, client: httpx.AsyncClient) -> dict[str, Any]:
    staff, maker = await hub.account("hospital_staff"), await hub.account("maker")
    hospital = await hub.site(staff, "hospitals", *NICE)
    lab = await hub.site(maker, "labs", *BASTIA, capacity=500)
    need = await hub.need(staff, hospital["id"], quantity=100, design=DESIGN)
    assert (hospital["land"], lab["land"]) == ("mainland", "corsica")
    return {"staff": staff, "maker": maker, "hospital": hospital, "lab": lab, "need": need}


async def _run(hub, client: httpx.AsyncClient) -> dict[str, Any]:
    coordinator = await hub.national_coordinator()
    r = await client.post(
        "/api/v1/matching/runs",
        json={"area": "FR", "max_distance_km": 400},
        headers=coordinator.headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_no_proposal_across_the_sea(hub, client: httpx.AsyncClient) -> None:
    await _world(hub, client)
    run = await _run(hub, client)
    assert run["assignments"] == []


class TestCrossingsAllowed:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(
            database_url=database_url, **LIFTED_LIMITS, allow_sea_crossings=True, route_seconds=0.3
        )

    async def test_a_ferry_lets_corsica_serve_nice(self, hub, client: httpx.AsyncClient) -> None:
        w = await _world(hub, client)
        run = await _run(hub, client)
        assert [(a["need_id"], a["quantity"]) for a in run["assignments"]] == [
            (w["need"]["id"], 100)
        ]


async def test_a_driver_is_told_the_lab_is_across_the_sea(hub, client: httpx.AsyncClient) -> None:
    w = await _world(hub, client)
    r = await client.post(
        f"/api/v1/needs/{w['need']['id']}/claims",
        json={"lab_id": w["lab"]["id"], "quantity": 20},
        headers=w["maker"].headers,
    )
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    for path, body in (
        (f"/api/v1/batches/{bid}/progress", {"made": 20}),
        (f"/api/v1/batches/{bid}/ready", None),
    ):
        assert (await client.post(path, json=body, headers=w["maker"].headers)).status_code == 200
    driver = await hub.account("driver")
    body = {
        "start_lat": NICE[0],
        "start_lon": NICE[1],
        "capacity_units": 60,
        "available_minutes": 600,
    }
    for lang, words in (("en", "across the sea"), ("fr", "de l’autre côté de la mer")):
        r = await client.post(
            "/api/v1/routes", json=body, headers={**driver.headers, "Accept-Language": lang}
        )
        assert r.status_code == 409, r.text
        assert words in r.json()["detail"]
