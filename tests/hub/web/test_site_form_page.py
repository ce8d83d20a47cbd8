"""A new hospital worker creates a site from "38700 La Tronche" without typing a coordinate,
on a 360 px phone, in French and in English (issue 14)."""

from typing import TYPE_CHECKING

import httpx
import pytest
from support.browser import CHROMIUM, phone_page
from support.data import PASSWORD
from support.pagecheck import PHONE, check_page
from support.server import HubProcess

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TYPED = ("38700 La Tronche", "CHU Nord", "Dr Rivière", "Corenc", "Sarcenas")


def _create_from_postcode(page: "Page", url: str, lang: str, email: str, errors: list[str]) -> None:
    page.goto(f"{url}/app?lang={lang}")
    page.wait_for_selector("#auth:not([hidden])")
    page.select_option("#signup-role", "hospital_staff")
    page.fill("#signup-name", "Dr Rivière")
    page.fill("#signup-email", email)
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-form button[type=submit]")
    page.wait_for_selector("#staff:not([hidden])")
    # The coordinates are folded away; the place is found by typing.
    assert not page.is_visible("#hospital-lat")
    page.fill("#hospital-place", "38700 La Tronche")
    page.wait_for_selector("#hospital-place-results .place-option")
    check_page(page, f"site-form-results-{lang}", allowed=TYPED)
    page.locator("#hospital-place-results .place-option").first.click()
    page.wait_for_function("() => document.getElementById('hospital-lat').value !== ''")
    assert not errors
    page.wait_for_selector("#hospital-place-map:not([hidden]) circle")
    assert "38700 La Tronche" in page.inner_text("#hospital-place-chosen")
    assert page.input_value("#hospital-address") == "38700 La Tronche"
    page.fill("#hospital-name", "CHU Nord")
    page.select_option("#hospital-kind", "hospital")
    page.fill("#hospital-contact-name", "Dr Rivière")
    page.fill("#hospital-contact-phone", "04 76 76 75 75")
    page.fill("#hospital-opens", "07:30")
    page.fill("#hospital-closes", "19:00")
    check_page(page, f"site-form-chosen-{lang}", allowed=TYPED)
    page.click("#hospital-form button[type=submit]")
    page.wait_for_selector("#need-section:not([hidden])")
    assert "CHU Nord" in page.inner_text("#hospitals")
    check_page(page, f"site-form-created-{lang}", allowed=TYPED)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_site_from_a_postcode_on_a_phone(sqlite_server: HubProcess, lang: str) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    email = f"riviere-{lang}@example.org"
    with sync_playwright() as p:
        browser, page = phone_page(
            p, errors, ignore=("401 (Unauthorized)",), timeout_ms=15_000, viewport=PHONE
        )
        _create_from_postcode(page, sqlite_server.url, lang, email, errors)
        browser.close()
    assert errors == []
    with httpx.Client(base_url=sqlite_server.url) as c:
        token = c.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        site = c.get("/api/v1/hospitals?mine=true", headers=headers).json()["items"][0]
    assert (site["departement"], site["region"]) == ("38", "84")
    assert site["lat"] == pytest.approx(45.2051, abs=0.01)
    assert site["lon"] == pytest.approx(5.7381, abs=0.01)
    assert (site["opens"], site["closes"]) == ("07:30", "19:00")
    assert site["contact_phone"] == "04 76 76 75 75"
