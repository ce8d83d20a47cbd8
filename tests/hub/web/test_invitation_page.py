"""An invitation's link, opened on a phone by someone with no account yet, in both languages.

A maker of a verified lab invites a colleague's address (through the API, as the lab's page
has no form for it); the colleague opens the mailed link on ``/app``, signs up as a maker,
accepts, and finds the lab among theirs. The token leaves the address bar at once; a used
link says why it no longer works. Every state: one language, axe-core, no overflow, a picture.
"""

import httpx
import pytest
from support.browser import CHROMIUM, phone_page
from support.data import PASSWORD
from support.pagecheck import PHONE, check_page
from support.scenario import coordinator, sign_up, verify_all
from support.server import HubProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TYPED = ("Fablab & Co", "Camille Collègue", "1 rue du Test")

WORDS = {
    "fr": {"invited": "Vous êtes invité", "joined": "Vous avez rejoint", "used": "a déjà servi"},
    "en": {"invited": "You are invited", "joined": "You joined", "used": "was used"},
}


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_new_colleague_joins_a_lab_through_the_invitation_link(
    sqlite_server: HubProcess, lang: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    w = WORDS[lang]
    with httpx.Client(base_url=sqlite_server.url, timeout=30) as c:
        maker = sign_up(c, "maker")
        lab = c.post(
            "/api/v1/labs",
            json={
                "name": "Fablab & Co",
                "kind": "fablab",
                "lat": 45.165,
                "lon": 5.71,
                "address": "1 rue du Test",
            },
            headers=maker.headers,
        ).json()
        verify_all(c, coordinator(sqlite_server))
        invited = c.post(
            f"/api/v1/labs/{lab['id']}/members",
            json={"email": f"colleague-{lang}@example.org"},
            headers={**maker.headers, "Accept-Language": lang},
        )
        assert invited.status_code == 202, invited.text
    link = invited.json()["link"]
    assert f"/app?lang={lang}#invitation=" in link

    errors: list[str] = []
    with sync_playwright() as p:
        # The second opening of the used link answers 404, on purpose.
        browser, page = phone_page(p, errors, viewport=PHONE, ignore=("404 (Not Found)",))
        page.goto(link)
        banner = page.locator("#invitation")
        expect(banner).to_be_visible()
        assert w["invited"] in banner.inner_text()
        assert "#invitation" not in page.url  # the token is not left in the address bar
        assert page.locator("#invitation-accept").is_hidden()  # sign in or up first
        check_page(page, f"invitation-signed-out-{lang}", allowed=("Fablab & Co",))

        page.select_option("#signup-role", "maker")
        page.fill("#signup-name", "Camille Collègue")
        page.fill("#signup-email", f"colleague-{lang}@example.org")
        page.fill("#signup-password", PASSWORD)
        page.click("#signup-form button[type=submit]")
        page.wait_for_selector("#invitation-accept:not([hidden])")
        check_page(page, f"invitation-signed-in-{lang}", allowed=("Camille Collègue",))
        page.click("#invitation-accept")
        expect(page.locator("#notice")).to_contain_text(f"{w['joined']} Fablab & Co")
        expect(page.locator("#labs")).to_contain_text("Fablab & Co")
        expect(banner).to_be_hidden()
        check_page(
            page,
            f"invitation-joined-{lang}",
            allowed=("Fablab & Co", "Camille Collègue", "1 rue du Test"),
        )

        # The same link again (a second tap on the mail: a new page) says it is used.
        page.goto("about:blank")
        page.goto(link)
        page.click("#invitation-accept")
        expect(page.locator("#error")).to_contain_text(w["used"])
        browser.close()
    assert errors == []
