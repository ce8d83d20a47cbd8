"""The page's JSON panels: map shading, bottlenecks, daily output, and who sees names."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from support.data import BREST, GRENOBLE

from dashboards import service
from hub.geo.areas import Area


@pytest.fixture
async def world(hub: Any, client: Any) -> dict[str, Any]:
    """Grenoble: 40 visors due tomorrow, 25 claimed by a local lab, 10 made.
    Brest: 10 visors due in a week, no lab in Finistère."""
    staff = await hub.account("hospital_staff")
    grenoble = await hub.site(staff, "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1], name="CHU GA")
    brest = await hub.site(staff, "hospitals", lat=BREST[0], lon=BREST[1], name="CHU Brest")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs", lat=GRENOBLE[0], lon=GRENOBLE[1], name="Fablab GA")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    urgent = await hub.need(staff, grenoble["id"], quantity=40, needed_by=tomorrow)
    await hub.need(staff, brest["id"], quantity=10)
    claim = await client.post(
        f"/api/v1/needs/{urgent['id']}/claims",
        json={"lab_id": lab["id"], "quantity": 25},
        headers=maker.headers,
    )
    assert claim.status_code == 201, claim.text
    r = await client.post(
        f"/api/v1/batches/{claim.json()['id']}/progress", json={"made": 10}, headers=maker.headers
    )
    assert r.status_code == 200, r.text
    return {"maker": maker, "lab": lab, "urgent": urgent, "batch": claim.json()}


async def test_map_shades_unmet_demand_and_hides_names(hub, client, world) -> None:
    public = (await client.get("/api/v1/dashboard/map", params={"area": "FR"})).json()
    by_code = {d["code"]: d for d in public["departements"]}
    assert (by_code["38"]["requested"], by_code["38"]["claimed"], by_code["38"]["unmet"]) == (
        40,
        25,
        15,
    )
    assert by_code["29"]["unmet"] == 10
    assert len(public["sites"]) == 3
    assert all(s["name"] is None for s in public["sites"])
    assert all(0 <= s["x"] <= 800 and 0 <= s["y"] <= 800 for s in public["sites"])
    coordinator = await hub.account("coordinator")
    named = await client.get("/api/v1/dashboard/map", headers=coordinator.headers)
    assert {s["name"] for s in named.json()["sites"]} == {"CHU GA", "CHU Brest", "Fablab GA"}
    isere = await client.get("/api/v1/dashboard/map", params={"area": "departement:38"})
    assert [d["code"] for d in isere.json()["departements"]] == ["38"]


async def test_bottlenecks_list_urgent_needs_stalled_batches_and_uncovered_areas(
    hub, client, app, world
) -> None:
    b = (await client.get("/api/v1/dashboard/bottlenecks")).json()
    assert [(n["need_id"], n["unmet"]) for n in b["urgent_needs"]] == [(world["urgent"]["id"], 15)]
    assert b["urgent_needs"][0]["hospital"] is None
    assert b["stalled_batches"] == []
    assert {u["code"] for u in b["uncovered"]} == {"29", "38"}
    offers = [
        {
            "design": "face-shield-prusa-rc3",
            "units_per_day": 50,
            "available_from": date.today().isoformat(),
            "stock": 0,
        }
    ]
    r = await client.put(
        f"/api/v1/labs/{world['lab']['id']}/offers", json=offers, headers=world["maker"].headers
    )
    assert r.status_code == 200, r.text
    b = (await client.get("/api/v1/dashboard/bottlenecks")).json()
    assert {u["code"] for u in b["uncovered"]} == {"29"}
    # A day later, with no progress reported since, the batch is stalled.
    later = datetime.now(UTC) + timedelta(hours=25)
    async with app.state.db.read_sessions() as session:
        stalled = await service.bottlenecks(session, Area("FR"), detailed=True, now=later)
    assert [(s.batch_id, s.made, s.lab) for s in stalled.stalled_batches] == [
        (world["batch"]["id"], 10, "Fablab GA")
    ]


async def test_daily_output_counts_units_made_today(client, world) -> None:
    days = (await client.get("/api/v1/dashboard/daily", params={"days": 3})).json()["days"]
    assert len(days) == 3
    assert (days[-1]["made"], days[-1]["delivered"]) == (10, 0)
    assert sum(d["made"] for d in days) == 10


async def test_the_page_and_its_assets_are_served_without_a_cdn(client) -> None:
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("dashboard.js", "dashboard.css", "hub.js", "hub.css"):
        assert f"/static/{asset}" in page.text or asset == "hub.js", asset
        r = await client.get(f"/static/{asset}")
        assert r.status_code == 200
        assert "https://" not in r.text


async def test_urgent_means_within_48_h_on_the_hospitals_own_clock(hub, client, app) -> None:
    """At 21:00 UTC on 30 November it is 01:00 on 1 December in La Réunion: 48 h later is
    3 December there. A need due on 3 December in Saint-Denis is urgent; one in Paris is not
    (48 h later is 2 December, 22:00 there)."""
    staff = await hub.account("hospital_staff")
    reunion = await hub.site(staff, "hospitals", lat=-20.8823, lon=55.4504, name="CHU Réunion")
    paris = await hub.site(staff, "hospitals", lat=48.8566, lon=2.3522, name="AP-HP")
    due = (date.today() + timedelta(days=3)).isoformat()
    far = await hub.need(staff, reunion["id"], quantity=5, needed_by=due)
    near = await hub.need(staff, paris["id"], quantity=5, needed_by=due)
    day = date.fromisoformat(due) - timedelta(days=3)
    now = datetime(day.year, day.month, day.day, 21, 0, tzinfo=UTC)
    async with app.state.db.read_sessions() as session:
        urgent = await service.urgent_needs(session, Area("FR"), detailed=True, now=now)
    ids = {n.need_id for n in urgent}
    assert far["id"] in ids
    assert near["id"] not in ids
