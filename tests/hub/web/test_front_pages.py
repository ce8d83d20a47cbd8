"""The pages around the journeys, in a real phone-sized browser against a real ``hub serve``.

The front door and the label page without a session, in French and English; the API's
documentation (Swagger UI and ReDoc) with the network cut, to show they need nothing but the
hub. Each page: no console error (so nothing refused by the Content-Security-Policy), one
language, axe-core's serious and critical rules, a 360 px screen, a screenshot.
"""

from typing import Any

import pytest
from support.browser import CHROMIUM, phone_page
from support.pagecheck import PHONE, assert_accessible, check_page, screenshot
from support.server import HubProcess

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

LOCALES = {"fr": "fr-FR", "en": "en-GB"}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_front_door_and_signing_out(sqlite_server: HubProcess, lang: str) -> None:
    """Links keep a chosen language; a stored token shows "sign out", which forgets it."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, viewport=PHONE, locale=LOCALES[lang])
        page.goto(f"{sqlite_server.url}/")
        assert page.locator("html").get_attribute("lang") == lang
        # Chosen by the browser: plain links, the next page follows the browser too.
        assert page.locator('main a[href="/app"]').count() == 1
        assert page.locator("#signout").is_hidden()
        check_page(page, f"index-{lang}")
        # Chosen with the switch: the links keep it.
        page.click("#lang")
        other = "en" if lang == "fr" else "fr"
        page.wait_for_function(f"() => document.documentElement.lang === '{other}'")
        assert page.locator(f'main a[href="/app?lang={other}"]').count() == 1
        page.goto(f"{sqlite_server.url}/")
        # A token from an older page version is moved under the one shared key.
        page.evaluate("() => localStorage.setItem('hub.driver.token', 'stale')")
        page.reload()
        # hub.js moves it after its top-level await (the message catalogue), which may end
        # after the page's load event: wait for the move rather than read at once.
        page.wait_for_function("() => localStorage.getItem('hub.token') === 'stale'")
        assert page.evaluate("() => localStorage.getItem('hub.driver.token')") is None
        page.locator("#signout").wait_for()
        with page.expect_navigation():
            page.click("#signout")
        assert page.evaluate("() => localStorage.getItem('hub.token')") is None
        assert page.locator("#signout").is_hidden()
        browser.close()
    # The server refuses to end a session that does not exist: that 401 is expected.
    assert [e for e in errors if "401" not in e] == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_label_page_without_a_session_says_what_to_do(
    sqlite_server: HubProcess, lang: str
) -> None:
    """Opened signed out (a shared link), the label page says to sign in first."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, viewport=PHONE, locale=LOCALES[lang])
        page.goto(f"{sqlite_server.url}/label/1?lang={lang}")
        page.wait_for_selector("#error:not(:empty)")
        expected = "Connectez-vous d’abord" if lang == "fr" else "Sign in on the makers' page"
        assert page.inner_text("#error").startswith(expected)
        assert page.locator("#loading").is_hidden()
        check_page(page, f"label-signed-out-{lang}")
        browser.close()
    assert errors == []


def _offline(page: Any, hub_url: str) -> list[str]:
    """Cut the network: anything not on the hub is refused, and noted."""
    refused: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(hub_url) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort("internetdisconnected")

    page.context.route("**/*", route)
    return refused


def test_the_api_docs_work_with_the_network_cut(sqlite_server: HubProcess) -> None:
    """/docs (Swagger UI) shows the operations from the hub's own files, under its policy."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, viewport=PHONE, locale="en-GB")
        refused = _offline(page, sqlite_server.url)
        page.goto(f"{sqlite_server.url}/docs")
        page.wait_for_selector(".opblock")
        assert page.locator(".opblock").count() > 20
        assert page.get_by_text("/api/v1/needs/{need_id}/claims").count() >= 1
        page.locator(".opblock-summary-control").first.click()
        page.wait_for_selector(".opblock-body")
        # The reference is tens of thousands of pixels long: its first screen is enough to look at.
        screenshot(page, "docs", full_page=False)
        # Swagger UI nests its operation's buttons (nested-interactive): upstream's markup,
        # which no style sheet can change; every other rule holds.
        assert_accessible(page, where="/docs", disable=("nested-interactive",))
        browser.close()
    assert refused == []
    assert errors == []


def test_the_api_reference_works_with_the_network_cut(sqlite_server: HubProcess) -> None:
    """/redoc shows the operations from the hub's own files, under its policy (and a nonce)."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, viewport=PHONE, locale="en-GB")
        refused = _offline(page, sqlite_server.url)
        page.goto(f"{sqlite_server.url}/redoc")
        page.wait_for_selector("[data-section-id^='operation/']")
        assert page.locator("[data-section-id^='operation/']").count() > 20
        screenshot(page, "redoc", full_page=False)
        # ReDoc colours its response tabs alike on its dark panel and on white (its theme has
        # one colour for both): no colour passes both; every other rule holds.
        assert_accessible(page, where="/redoc", disable=("color-contrast",))
        browser.close()
    assert refused == []
    assert errors == []
