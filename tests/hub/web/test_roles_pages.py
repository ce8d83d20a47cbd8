"""Every role on its own page, and nothing leaking between them, in a real phone-sized browser.

A brand-new driver signs up on ``/driver``, plans a route and runs its stops, in French and
then (another new driver) in English; the other parties are seeded through the API. A maker
on ``/driver`` and a driver on ``/app`` see none of the other role's forms, only the way to
their own page. Signing out of ``/driver`` and of ``/app`` revokes the token on the server
(the old token gets 401) and leaves nothing of the last user on screen. Every state: one
language, axe-core's serious and critical rules, no overflow at 360 px, a screenshot; no
console error.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from support.browser import CHROMIUM, phone_page
from support.data import GRENOBLE, PASSWORD
from support.pagecheck import PHONE, SHOTS, check_page
from support.scenario import coordinator, declare, sign_up, verify_all
from support.server import HubProcess

from hub.timeutil import PARIS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TYPED = ("CHU <Grenoble>", "Fablab & Co", "Dr Contact", "1 rue du Test", "Léa Route", "Sam Road")


def _world(server: HubProcess, count: int) -> dict[str, Any]:
    """A verified hospital and lab, open around the clock, and a need of ``count`` × 24."""
    national = coordinator(server)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        staff, maker = sign_up(c, "hospital_staff"), sign_up(c, "maker")
        site = {"contact_name": "Dr Contact", "contact_phone": "+33 4 76 00 00 00",
                "opens": "00:00", "closes": "23:59", "address": "1 rue du Test"}  # fmt: skip
        hospital = c.post(
            "/api/v1/hospitals",
            json={"name": "CHU <Grenoble>", "kind": "hospital", "lat": 45.2, "lon": 5.74, **site},
            headers=staff.headers,
        ).json()
        lab = c.post(
            "/api/v1/labs",
            json={"name": "Fablab & Co", "kind": "fablab", "lat": 45.165, "lon": 5.71, **site},
            headers=maker.headers,
        ).json()
        need = c.post(
            "/api/v1/needs",
            json={"hospital_id": hospital["id"], "design": "face-shield-prusa-rc3",
                  "quantity": 24 * count, "needed_by": datetime.now(PARIS).date().isoformat(),
                  "priority": "critical"},
            headers=staff.headers,
        ).json()  # fmt: skip
        declare(c, maker.headers, lab["id"])
        verify_all(c, national)
    return {"server": server, "maker": maker.headers, "need": need["id"], "lab": lab["id"]}


def _one_ready(w: dict[str, Any]) -> None:
    """The lab claims 24 units of the need, makes them and marks them ready."""
    with httpx.Client(base_url=w["server"].url, timeout=30) as c:
        batch = c.post(
            f"/api/v1/needs/{w['need']}/claims",
            json={"lab_id": w["lab"], "quantity": 24},
            headers=w["maker"],
        ).json()
        for step, body in (("progress", {"made": 24}), ("ready", None)):
            r = c.post(f"/api/v1/batches/{batch['id']}/{step}", json=body, headers=w["maker"])
            assert r.status_code == 200, r.text


def _sign_up(page: "Page", name: str, email: str, role: str | None = None) -> None:
    if role is not None:
        page.select_option("#signup-role", role)
    page.fill("#signup-name", name)
    page.fill("#signup-email", email)
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-form button[type=submit]")


def _revoked(server: HubProcess, token: str) -> bool:
    with httpx.Client(base_url=server.url) as c:
        r = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code == 401


def _drive(page: "Page", base: str, lang: str, name: str, email: str) -> None:
    """Sign up on /driver as a new driver, plan a route, run its stops, sign out."""
    from playwright.sync_api import expect

    page.goto(f"{base}/driver?lang={lang}")
    page.wait_for_selector("#auth:not([hidden])")
    check_page(page, f"driver-signup-{lang}")
    _sign_up(page, name, email)
    page.wait_for_selector("#plan:not([hidden])")
    check_page(page, f"driver-new-plan-{lang}", allowed=TYPED)
    if lang == "fr":
        # Where the route starts, found by typing as a driver would (a postcode and a town).
        page.fill("#start-place", "38000 Grenoble")
        page.locator("#start-place-results .place-option").first.click()
        expect(page.locator("#start-place-chosen")).to_contain_text("Grenoble")
        # The place's département and région are offered as the route's area, in words.
        options = page.locator("#area option").all_inner_texts()
        assert options == ["Partout où je peux aller", "Département 38", "Région 84"], options
        page.select_option("#area", "departement:38")
        check_page(page, "driver-start-found-fr", allowed=TYPED)
    else:
        page.click("#plan-form button.locate")
    page.wait_for_function("() => document.getElementById('start-lat').value !== ''")
    page.fill("#capacity", "30")
    page.fill("#minutes", "120")
    page.click("#plan-submit")
    page.wait_for_selector("#route:not([hidden])", timeout=30_000)
    assert page.locator(".stop").count() == 2
    check_page(page, f"driver-new-route-{lang}", allowed=TYPED)
    # The README's picture: a route as a phone shows it.
    page.screenshot(path=str(SHOTS / f"docs-driver-{lang}.png"), scale="css")
    for done in (1, 2):
        stop = page.locator(".stop:not(.is-done)").first
        stop.locator("button.done[type=button]").click()
        stop.locator("button[type=submit]").click()
        page.wait_for_function(
            "n => document.querySelectorAll('.stop.is-done').length === n", arg=done
        )
    page.wait_for_selector("#another:not([hidden])")
    check_page(page, f"driver-done-{lang}", allowed=TYPED)
    token = page.evaluate("localStorage.getItem('hub.token')")
    page.click("#signout")
    page.wait_for_selector("#auth:not([hidden])")
    assert page.locator("#route").is_hidden() and page.locator("#plan").is_hidden()
    assert page.locator(".stop").count() == 0
    assert page.inner_text("#whoami") == ""
    assert _revoked_in(page, token)


_SERVER: dict[str, Any] = {}


def _revoked_in(page: "Page", token: str) -> bool:
    return _revoked(_SERVER["server"], token)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_new_drivers_sign_up_plan_and_run_their_stops(sqlite_server: HubProcess) -> None:
    if datetime.now(PARIS).hour >= 22:
        pytest.skip("sites close at 23:59: too close to midnight to plan a route")
    from playwright.sync_api import sync_playwright

    _SERVER["server"] = sqlite_server
    world = _world(sqlite_server, 2)
    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(
            p, errors, viewport=PHONE, timeout_ms=20_000,
            geolocation={"latitude": GRENOBLE[0], "longitude": GRENOBLE[1]},
            permissions=["geolocation"],
        )  # fmt: skip
        # One ready batch for each new driver: a pickup and a delivery.
        _one_ready(world)
        _drive(page, sqlite_server.url, "fr", "Léa Route", "lea@example.org")
        _one_ready(world)
        _drive(page, sqlite_server.url, "en", "Sam Road", "sam@example.org")
        browser.close()
    assert errors == []


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_each_page_shows_a_role_only_its_own_and_sign_out_revokes(
    sqlite_server: HubProcess,
) -> None:
    from playwright.sync_api import sync_playwright

    base = sqlite_server.url
    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, viewport=PHONE, timeout_ms=15_000)
        for lang in ("fr", "en"):
            # A new maker, signed up on /app, opens /driver: no planner, the way to /app.
            page.goto(f"{base}/app?lang={lang}")
            page.wait_for_selector("#auth:not([hidden])")
            _sign_up(page, "Fablab & Co", f"maker-{lang}@example.org", "maker")
            page.wait_for_selector("#maker:not([hidden])")
            page.goto(f"{base}/driver?lang={lang}")
            page.wait_for_selector("#wrong-page:not([hidden])")
            assert page.locator("#plan").is_hidden() and page.locator("#route").is_hidden()
            assert page.locator("#auth").is_hidden()
            assert page.get_attribute("#own-page", "href") == f"/app?lang={lang}"
            check_page(page, f"driver-page-maker-{lang}", allowed=TYPED)
            # Signing out of /driver revokes the token.
            token = page.evaluate("localStorage.getItem('hub.token')")
            page.click("#signout")
            page.wait_for_selector("#auth:not([hidden])")
            assert page.locator("#wrong-page").is_hidden()
            assert _revoked(sqlite_server, token)

            # A new driver, signed up on /app (the form offers drivers too): no hospital or
            # maker form, the way to /driver.
            page.goto(f"{base}/app?lang={lang}")
            page.wait_for_selector("#auth:not([hidden])")
            _sign_up(page, "Sam Road", f"driver-{lang}@example.org", "driver")
            page.wait_for_selector("#wrong-page:not([hidden])")
            assert page.locator("#staff").is_hidden() and page.locator("#maker").is_hidden()
            assert page.locator("#hospital-form").is_hidden()
            assert page.get_attribute("#own-page", "href") == f"/driver?lang={lang}"
            check_page(page, f"app-driver-{lang}", allowed=TYPED)
            # Signing out of /app revokes the token too, and clears the pointer.
            token = page.evaluate("localStorage.getItem('hub.token')")
            page.click("#signout")
            page.wait_for_selector("#auth:not([hidden])")
            assert page.locator("#wrong-page").is_hidden()
            assert _revoked(sqlite_server, token)
            # The link goes to the driver's page, where the same account signs in once more.
            page.goto(f"{base}/driver?lang={lang}")
            page.fill("#signin-email", f"driver-{lang}@example.org")
            page.fill("#signin-password", PASSWORD)
            page.click("#signin-form button[type=submit]")
            page.wait_for_selector("#plan:not([hidden])")
            page.goto(f"{base}/app?lang={lang}")
            page.wait_for_selector("#wrong-page:not([hidden])")
            page.click("#own-page")
            page.wait_for_selector("#plan:not([hidden])")
            page.click("#signout")
            page.wait_for_selector("#auth:not([hidden])")
        browser.close()
    assert errors == []
