"""The coordinator's page in a real browser: Playwright driving Debian's Chromium.

The hub runs as a real ``hub serve`` process on SQLite; the page must show a change made
through the API without reloading, and log no console error.
"""

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from support.browser import CHROMIUM, CHROMIUM_ARGS
from support.data import GRENOBLE, PASSWORD
from support.server import HubProcess

pytestmark = pytest.mark.browser


@pytest.fixture
async def page(sqlite_server: HubProcess) -> Any:
    """A Chromium page and the base URL of a fresh hub."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = await browser.new_page()
        yield tab, sqlite_server.url
        await browser.close()


async def _signup(api: httpx.AsyncClient, role: str) -> dict[str, str]:
    r = await api.post(
        "/api/v1/auth/signup",
        json={
            "email": f"{role}@example.org",
            "password": PASSWORD,
            "name": role,
            "role": role,
        },
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _claimed_batch(api: httpx.AsyncClient) -> tuple[int, dict[str, str]]:
    """A hospital in Grenoble needs 40 visors; a lab there claims 25 of them."""
    staff, maker = await _signup(api, "hospital_staff"), await _signup(api, "maker")
    site = {"kind": "hospital", "address": "1 rue du Test", "lat": GRENOBLE[0], "lon": GRENOBLE[1]}
    hospital = await api.post("/api/v1/hospitals", json={**site, "name": "CHU"}, headers=staff)
    lab = await api.post(
        "/api/v1/labs", json={**site, "kind": "fablab", "name": "Fablab"}, headers=maker
    )
    need = await api.post(
        "/api/v1/needs",
        json={
            "hospital_id": hospital.json()["id"],
            "design": "face-shield-prusa-rc3",
            "quantity": 40,
            "priority": "high",
            "needed_by": (date.today() + timedelta(days=1)).isoformat(),
        },
        headers=staff,
    )
    assert need.status_code == 201, need.text
    claim = await api.post(
        f"/api/v1/needs/{need.json()['id']}/claims",
        json={"lab_id": lab.json()["id"], "quantity": 25},
        headers=maker,
    )
    assert claim.status_code == 201, claim.text
    return claim.json()["id"], maker


async def test_the_page_updates_live_without_reloading(page: Any) -> None:
    tab, base = page
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    loads: list[str] = []
    tab.on("load", lambda _: loads.append("load"))
    async with httpx.AsyncClient(base_url=base, timeout=20) as api:
        batch_id, maker = await _claimed_batch(api)
        await tab.goto(f"{base}/dashboard")
        made = tab.locator('[data-design="face-shield-prusa-rc3"][data-counter="made"] .value')
        await made.wait_for()
        assert await made.text_content() == "0"
        assert await tab.locator("#connection").get_attribute("data-state") == "open"
        assert await tab.locator("html").get_attribute("lang") == "fr"
        # The map is drawn from the shipped boundaries, Isère shaded by its unmet 15 units.
        isere = tab.locator('#map path[data-code="38"]')
        await isere.wait_for()
        r = await api.post(f"/api/v1/batches/{batch_id}/progress", json={"made": 17}, headers=maker)
        assert r.status_code == 200, r.text
        await tab.wait_for_function(
            """() => document.querySelector(
                '[data-design="face-shield-prusa-rc3"][data-counter="made"] .value'
            ).textContent === "17" """,
            timeout=5000,
        )
        assert loads == ["load"], "the page reloaded"
        feed = await tab.locator("#feed li").first.text_content()
        assert "17" in (feed or "")
        # The urgent need (due tomorrow, 15 of 40 unclaimed) is listed as a bottleneck.
        await tab.wait_for_function(
            "() => document.querySelector('#urgent li').textContent.includes('15')",
            timeout=5000,
        )
        # Clicking a département filters the page; reconnects for that area.
        await isere.click()
        await tab.wait_for_function(
            "() => location.search.includes('area=departement%3A38')", timeout=5000
        )
        await tab.wait_for_function(
            "() => document.querySelector('#connection').dataset.state === 'open'", timeout=5000
        )
        assert "38" in (await tab.locator("#area-label").text_content() or "")
        assert await made.text_content() == "17"
        # English on request.
        await tab.locator("#lang").click()
        assert await tab.locator("#counters th").first.text_content() == "Design"
    assert errors == []
