"""The driver's page in a real phone-sized browser against a real ``hub serve``.

Signs in, uses the (mocked) position, plans a route, marks a stop done, downloads the GPX file
(named in the page's language), switches to English, loses and regains the network, and fails
on any other console error. Each state speaks one language only, passes axe-core's serious and
critical rules, fits a 360 px screen and leaves a screenshot. Skips cleanly where Debian's
chromium is not installed.
"""

from datetime import datetime
from typing import Any

import httpx
import pytest
from support.browser import CHROMIUM, phone_page
from support.data import GRENOBLE, PASSWORD
from support.pagecheck import PHONE, assert_one_language, check_page
from support.scenario import coordinator, declare, sign_up, verify_all
from support.server import HubProcess

from hub.timeutil import PARIS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: What users typed: site names, contacts, addresses.
TYPED = ("CHU <Grenoble>", "Fablab & Co", "Dr Contact", "1 rue du Test", "A driver")


def _scenario(server: HubProcess) -> dict[str, Any]:
    """One hospital, one lab (both verified), one ready batch of 24 face shields, a driver."""
    national = coordinator(server)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        staff, maker = sign_up(c, "hospital_staff"), sign_up(c, "maker")
        driver = sign_up(c, "driver")
        # Open around the clock, so that the test plans whatever the hour.
        hours = {"opens": "00:00", "closes": "23:59", "address": "1 rue du Test"}
        site = {"contact_name": "Dr Contact", "contact_phone": "+33 4 76 00 00 00", **hours}
        hospital = c.post(
            "/api/v1/hospitals",
            json={
                "name": "CHU <Grenoble>",
                "kind": "hospital",
                "lat": 45.2000,
                "lon": 5.7400,
                **site,
            },
            headers=staff.headers,
        ).json()
        lab = c.post(
            "/api/v1/labs",
            json={"name": "Fablab & Co", "kind": "fablab", "lat": 45.1650, "lon": 5.7100, **site},
            headers=maker.headers,
        ).json()
        need = c.post(
            "/api/v1/needs",
            json={
                "hospital_id": hospital["id"],
                "design": "face-shield-prusa-rc3",
                "quantity": 50,
                "needed_by": datetime.now(PARIS).date().isoformat(),
                "priority": "critical",
            },
            headers=staff.headers,
        ).json()
        m = maker.headers
        declare(c, m, lab["id"])
        verify_all(c, national)
        batch = c.post(
            f"/api/v1/needs/{need['id']}/claims",
            json={"lab_id": lab["id"], "quantity": 24},
            headers=m,
        ).json()
        assert (
            c.post(
                f"/api/v1/batches/{batch['id']}/progress", json={"made": 24}, headers=m
            ).status_code
            == 200
        )
        assert c.post(f"/api/v1/batches/{batch['id']}/ready", headers=m).status_code == 200
    return {"driver": driver, "batch_id": batch["id"]}


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_driver_plans_and_marks_a_stop_done_on_a_phone(sqlite_server: HubProcess) -> None:
    if datetime.now(PARIS).hour >= 23:
        pytest.skip("sites close at 23:59: too close to midnight to plan a route")
    from playwright.sync_api import expect, sync_playwright

    world = _scenario(sqlite_server)
    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(
            p,
            errors,
            viewport=PHONE,
            accept_downloads=True,
            geolocation={"latitude": GRENOBLE[0], "longitude": GRENOBLE[1]},
            permissions=["geolocation"],
        )

        page.goto(f"{sqlite_server.url}/driver")
        assert page.locator("html").get_attribute("lang") == "fr"
        page.wait_for_selector("#auth:not([hidden])")
        check_page(page, "driver-signed-out-fr")
        page.fill("#signin-email", world["driver"].email)
        page.fill("#signin-password", PASSWORD)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#plan:not([hidden])")
        check_page(page, "driver-plan-fr", allowed=TYPED)

        # Planning before saying where the route starts says so, next to nothing sent.
        page.click("#plan-submit")
        expect(page.locator("#error")).to_contain_text("Indiquez d’où vous partez")
        page.click("#plan-form button.locate")
        page.wait_for_function("() => document.getElementById('start-lat').value !== ''")
        assert float(page.input_value("#start-lat")) == pytest.approx(GRENOBLE[0], abs=1e-4)
        page.fill("#capacity", "30")
        page.fill("#minutes", "120")
        page.click("#plan-submit")
        page.wait_for_selector("#route:not([hidden])", timeout=30_000)
        assert page.locator(".stop").count() == 2
        # The user-supplied name shows as text, not as markup.
        assert "CHU <Grenoble>" in page.inner_text("#stops")
        assert page.locator("#map polyline").count() == 1
        assert page.locator("#map circle").count() == 2
        first = page.locator(".stop").first
        assert first.locator("a[href^='geo:']").count() == 1
        assert first.locator("a[href^='https://www.openstreetmap.org/directions']").count() == 1
        assert first.locator("a[href^='tel:']").count() == 1
        # Phone-sized: nothing wider than the screen, and the buttons are thumb-sized.
        assert first.locator("button.done[type=button]").bounding_box()["height"] >= 44
        assert "24 unités" in first.inner_text()
        check_page(page, "driver-route-fr", allowed=TYPED)

        first.locator("button.done[type=button]").click()
        first.locator("input[type=number]").fill("20")
        first.locator("button[type=submit]").click()
        page.wait_for_selector(".stop.is-done")
        assert "Fait avec 20 unités" in page.locator(".stop.is-done").inner_text()

        # The GPX file is named in the page's language.
        with page.expect_download() as download:
            page.click("#gpx")
        route_id = page.inner_text("#route-title").split()[1]
        assert download.value.suggested_filename == f"tournee-{route_id}.gpx"

        # Giving the route back with the batch on board is refused, in French words.
        page.click("#release")
        page.click("#release")
        page.wait_for_selector("#error:not(:empty)")
        assert page.inner_text("#error").startswith("Impossible\u00a0: ")
        check_page(page, "driver-refused-fr", allowed=TYPED)

        with httpx.Client(base_url=sqlite_server.url) as c:
            batch = c.get(
                f"/api/v1/batches/{world['batch_id']}",
                headers=world["driver"].headers,
            ).json()
        assert (batch["state"], batch["picked_up"]) == ("picked_up", 20)

        # English, same session: the active route comes back after a reload.
        page.goto(f"{sqlite_server.url}/driver?lang=en")
        page.wait_for_selector("#route:not([hidden])")
        assert page.locator("html").get_attribute("lang") == "en"
        assert "Give the route back" in page.inner_text("#release")
        assert "Pickup" in page.inner_text("#stops")
        check_page(page, "driver-route-en", allowed=TYPED)
        with page.expect_download() as download:
            page.click("#gpx")
        assert download.value.suggested_filename == f"route-{route_id}.gpx"
        # Giving the route back with the batch on board: the API says to deliver it, in the
        # page's language, and the route stays open.
        page.click("#release")
        page.click("#release")
        page.wait_for_selector("#error:not(:empty)")
        assert page.inner_text("#error").startswith("Not possible: ")
        assert "deliver them" in page.inner_text("#error")
        assert page.locator("#release").is_visible()
        assert_one_language(page, allowed=TYPED, where="a refused give-back")
        # No signal on the road: the page says so in plain words, and recovers.
        page.context.set_offline(True)
        page.click("#refresh")
        page.wait_for_function(
            "() => document.getElementById('error').textContent.includes('does not answer')"
        )
        assert_one_language(page, allowed=TYPED, where="offline")
        page.context.set_offline(False)
        page.click("#refresh")
        page.wait_for_function("() => document.getElementById('error').textContent === ''")
        # A driver who opens the makers' page sees none of its forms, only the way to theirs.
        page.goto(f"{sqlite_server.url}/app?lang=en")
        page.wait_for_selector("#wrong-page:not([hidden])")
        assert page.locator("#staff").is_hidden() and page.locator("#maker").is_hidden()
        assert page.get_attribute("#own-page", "href") == "/driver?lang=en"
        browser.close()
    # The browser logs the refused give-back (409) and the offline request itself; nothing
    # else may fail.
    expected = ("status of 409", "ERR_INTERNET_DISCONNECTED")
    assert [e for e in errors if not any(x in e for x in expected)] == []
