"""The coordinator's page in a real browser: Playwright driving Debian's Chromium.

The hub runs as a real ``hub serve`` process on SQLite; the page must show a change made
through the API without reloading (its websocket connects under the page's strict
Content-Security-Policy), and log no console error. In French and in English it speaks only its
language, passes axe-core's serious and critical rules, fits a 360 px screen and leaves a
screenshot.
"""

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from support.browser import CHROMIUM, CHROMIUM_ARGS
from support.data import GRENOBLE, PASSWORD, Account
from support.pagecheck import PHONE, check_page
from support.scenario import coordinator, declare, verify_all
from support.server import HubProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def page(sqlite_server: HubProcess) -> Any:
    """A phone-sized French Chromium page and the base URL of a fresh hub."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True)
        yield context.new_page(), sqlite_server.url, coordinator(sqlite_server)
        browser.close()


def _signup(api: httpx.Client, role: str) -> dict[str, str]:
    r = api.post(
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


def _claimed_batch(api: httpx.Client, national: Account) -> tuple[int, dict[str, str]]:
    """A hospital in Grenoble needs 40 visors; a lab there claims 25 of them."""
    staff, maker = _signup(api, "hospital_staff"), _signup(api, "maker")
    site = {"kind": "hospital", "address": "1 rue du Test", "lat": GRENOBLE[0], "lon": GRENOBLE[1]}
    hospital = api.post("/api/v1/hospitals", json={**site, "name": "CHU"}, headers=staff)
    lab = api.post("/api/v1/labs", json={**site, "kind": "fablab", "name": "Fablab"}, headers=maker)
    need = api.post(
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
    declare(api, maker, lab.json()["id"])
    verify_all(api, national)
    claim = api.post(
        f"/api/v1/needs/{need.json()['id']}/claims",
        json={"lab_id": lab.json()["id"], "quantity": 25},
        headers=maker,
    )
    assert claim.status_code == 201, claim.text
    return claim.json()["id"], maker


def test_the_page_updates_live_without_reloading(page: Any) -> None:
    tab, base, national = page
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    loads: list[str] = []
    tab.on("load", lambda _: loads.append("load"))
    with httpx.Client(base_url=base, timeout=20) as api:
        batch_id, maker = _claimed_batch(api, national)
        # Département names are proper nouns in both languages ("Lot", "Val-d'Oise").
        names = api.get("/api/v1/dashboard/outlines").json()["names"].values()
        places = tuple(sorted(names, key=len, reverse=True))
        tab.goto(f"{base}/dashboard")
        made = tab.locator('[data-design="face-shield-prusa-rc3"][data-counter="made"] .value')
        made.wait_for()
        assert made.text_content() == "0"
        # The websocket connects under connect-src 'self' (CSP 3 matches ws: on the same host).
        tab.wait_for_function(
            "() => document.querySelector('#connection').dataset.state === 'open'"
        )
        assert tab.locator("html").get_attribute("lang") == "fr"
        # The map is drawn from the shipped boundaries, Isère shaded by its unmet 15 units.
        isere = tab.locator('#map path[data-code="38"]')
        isere.wait_for()
        r = api.post(f"/api/v1/batches/{batch_id}/progress", json={"made": 17}, headers=maker)
        assert r.status_code == 200, r.text
        tab.wait_for_function(
            """() => document.querySelector(
                '[data-design="face-shield-prusa-rc3"][data-counter="made"] .value'
            ).textContent === "17" """,
            timeout=5000,
        )
        assert loads == ["load"], "the page reloaded"
        feed = tab.locator("#feed li").first.text_content()
        assert "17 sur 25" in (feed or "")
        # The urgent need (due tomorrow, 15 of 40 unclaimed) is listed as a bottleneck, its
        # date written out in French.
        tab.wait_for_function(
            "() => document.querySelector('#urgent li')?.textContent.includes('15 unités')",
            timeout=5000,
        )
        assert "pour le " in (tab.locator("#urgent li").first.text_content() or "")
        check_page(tab, "dashboard-fr", allowed=places)
        # Clicking a département filters the page; reconnects for that area.
        isere.click()
        tab.wait_for_function(
            "() => location.search.includes('area=departement%3A38')", timeout=5000
        )
        tab.wait_for_function(
            "() => document.querySelector('#connection').dataset.state === 'open'", timeout=5000
        )
        assert "38" in (tab.locator("#area-label").text_content() or "")
        assert made.text_content() == "17"
        # English through the language switch, which keeps the area.
        tab.locator("#lang").click()
        tab.wait_for_function("() => document.documentElement.lang === 'en'")
        assert "area=departement%3A38" in tab.url
        assert tab.locator("#counters th").first.text_content() == "Design"
        made.wait_for()
        tab.wait_for_function(
            "() => document.querySelector('#connection').dataset.state === 'open'", timeout=5000
        )
        tab.wait_for_function(
            "() => document.querySelector('#urgent li')?.textContent.includes('15 units')",
            timeout=5000,
        )
        check_page(tab, "dashboard-en", allowed=places)
    assert errors == []
