"""The hospital staff and makers' page in a real phone-sized browser against a real ``hub serve``.

A hospital user signs up, creates a hospital and posts a need; a maker signs up, creates a lab,
claims part of the need, reports progress, marks it ready and prints its label; the hospital user
confirms receipt. At each step the page must speak only its language (French, then English),
pass axe-core's serious and critical rules, fit a 360 px screen and leave a screenshot. Fails on
any console error, the label's window included. Skips cleanly where Debian's chromium is missing.
"""

import re
from typing import TYPE_CHECKING

import httpx
import pytest
from support.browser import CHROMIUM, phone_page
from support.data import GRENOBLE, PASSWORD
from support.pagecheck import PHONE, assert_one_language, check_page
from support.scenario import coordinator, verify_all
from support.server import HubProcess

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: What the users type: names and addresses, in whatever language they write.
TYPED = (
    "Dr Soignante",
    "Mme Maker",
    "CHU <Grenoble>",
    "Fablab & Co",
    "Boulevard de la Chantourne, La Tronche",
    "2 rue du Test, Grenoble",
    "visière fissurée",
)


def _sign_up(page: "Page", role: str, name: str, email: str) -> None:
    """Fill in and send the sign-up form."""
    page.select_option("#signup-role", role)
    page.fill("#signup-name", name)
    page.fill("#signup-email", email)
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-form button[type=submit]")


def _stage(card: "Locator", key: str) -> int:
    """The number of units a need card shows in one stage (a stage with none is not shown)."""
    figure = card.locator(f"[data-stage={key}] b")
    return int(figure.inner_text()) if figure.count() else 0


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_hospital_and_maker_journeys_on_a_phone(sqlite_server: HubProcess) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(
            p,
            errors,
            ignore=("401 (Unauthorized)",),
            timeout_ms=15_000,
            viewport=PHONE,
            geolocation={"latitude": GRENOBLE[0], "longitude": GRENOBLE[1]},
            permissions=["geolocation"],
        )
        page.on("dialog", lambda d: d.accept())
        # Windows the page opens (the label) report their console errors too.
        page.context.on(
            "page",
            lambda p: p.on(
                "console", lambda m: errors.append(m.text) if m.type == "error" else None
            ),
        )

        # Hospital staff: sign up, create a hospital with the phone's position, post a need.
        page.goto(f"{sqlite_server.url}/app")
        assert page.locator("html").get_attribute("lang") == "fr"
        page.wait_for_selector("#auth:not([hidden])")
        check_page(page, "app-signed-out-fr")
        _sign_up(page, "hospital_staff", "Dr Soignante", "staff@example.org")
        page.wait_for_selector("#staff:not([hidden])")
        page.fill("#hospital-name", "CHU <Grenoble>")
        page.select_option("#hospital-kind", "hospital")
        page.fill("#hospital-address", "Boulevard de la Chantourne, La Tronche")
        page.click("#hospital-form button.locate")
        page.wait_for_function("() => document.getElementById('hospital-lat').value !== ''")
        assert float(page.input_value("#hospital-lat")) == pytest.approx(GRENOBLE[0], abs=1e-4)
        page.click("#hospital-form button[type=submit]")
        page.wait_for_selector("#need-section:not([hidden])")
        # The user-supplied name shows as text, not as markup.
        assert "CHU <Grenoble>" in page.inner_text("#hospitals")

        page.select_option("#need-design", "face-shield-prusa-rc3")
        page.fill("#need-quantity", "30")
        page.select_option("#need-priority", "critical")
        page.dblclick("#need-submit")  # a double tap still makes one need
        page.wait_for_selector("#needs .need")
        page.wait_for_timeout(300)
        assert page.locator("#needs .need").count() == 1
        need = page.locator("#needs .need").first
        # An open need tells its progress in stages, not in one status word.
        assert "en attente d’un atelier" in need.locator("[data-stage=requested]").inner_text()
        assert _stage(need, "requested") == 30
        # Phone-sized: nothing wider than the screen, and the buttons are thumb-sized.
        assert page.locator("#need-submit").bounding_box()["height"] >= 44
        check_page(page, "app-staff-fr", allowed=TYPED)

        page.click("#signout")
        page.wait_for_selector("#auth:not([hidden])")

        # Maker: sign up, create a lab nearby by hand, claim 10, report progress, mark ready.
        _sign_up(page, "maker", "Mme Maker", "maker@example.org")
        page.wait_for_selector("#maker:not([hidden])")
        page.fill("#lab-name", "Fablab & Co")
        page.select_option("#lab-kind", "fablab")
        page.fill("#lab-address", "2 rue du Test, Grenoble")
        page.fill("#lab-equipment", "Prusa MK3, laser")
        page.click("#lab-form details.coords summary")  # folded: not the first thing asked
        page.fill("#lab-lat", "45.1650")
        page.fill("#lab-lon", "5.7100")
        page.click("#lab-form button[type=submit]")
        page.wait_for_selector("#nearby .need")
        assert "CHU <Grenoble>" in page.inner_text("#nearby")

        page.select_option("#offer-design", "face-shield-prusa-rc3")
        page.fill("#offer-rate", "40")
        page.click("#offer-form button[type=submit]")
        page.wait_for_selector("#offers li button")
        # Units per day in words, in French, with its plural.
        assert "40 unités par jour" in page.inner_text("#offers")

        # A coordinator verifies both sites (on their own page, elsewhere): only then may the
        # lab take work. Until then the page says so instead of offering a claim.
        waits = page.locator("#nearby .need .claim-waits").first
        assert "attend la vérification d’un coordinateur" in waits.inner_text()
        assert page.locator("#nearby .claim-form").count() == 0
        check_page(page, "app-maker-pending-fr", allowed=TYPED)
        with httpx.Client(base_url=sqlite_server.url) as c:
            verify_all(c, coordinator(sqlite_server))
        page.click("#nearby-refresh")
        page.wait_for_selector("#nearby .claim-form")
        assert "vérifié" in page.inner_text("#labs")
        page.fill("#nearby .claim-qty", "10")
        page.click("#nearby .claim-form button[type=submit]")
        page.wait_for_selector("#batches .batch .made-input")
        batch = page.locator("#batches .batch").first
        assert "pris en charge" in batch.locator(".badge").inner_text()
        batch.locator(".made-input").fill("10")
        # The list is drawn again from GET /batches after the report: a click on the old
        # "ready" button in between would be lost (it was, once, in CI).
        with page.expect_response(
            lambda r: r.request.method == "GET" and "/api/v1/batches" in r.url
        ):
            batch.locator(".progress-form button[type=submit]").click()
        page.wait_for_function(
            "() => document.querySelector('#batches .batch .made')?.textContent.startsWith('10 /')"
        )
        page.locator("#batches .batch button.ready").click()
        page.wait_for_selector("#batches .batch .st-ready")
        code = page.locator("#batches .batch h3").inner_text().split()[1]
        # Dates in sentences are written out in French, never ISO.
        batch_text = page.inner_text("#batches .batch")
        assert "pour le " in batch_text and not re.search(r"\d{4}-\d\d-\d\d", batch_text)
        check_page(page, "app-maker-fr", allowed=TYPED)

        # The label opens as a page of its own (a plain link: no pop-up blocker), fetches the
        # label with the shared token, and prints under the same policy.
        with page.expect_popup() as popup_info:
            page.locator("#batches .batch a.label").click()
        label = popup_info.value
        label.wait_for_selector("#label .code")
        assert label.inner_text("#label .code") == code
        assert "Code de suivi" in label.inner_text("#label")
        assert "unités par carton" in label.inner_text("#label")
        check_page(label, "label-fr", allowed=TYPED)
        label.close()

        page.click("#signout")
        page.wait_for_selector("#auth:not([hidden])")

        # Back as the hospital user: a wrong password says so in plain French words (the
        # page asks the API for its own language), then sign in.
        page.fill("#signin-email", "staff@example.org")
        page.fill("#signin-password", "not the password")
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#error:not(:empty)")
        assert page.inner_text("#error") == "E-mail ou mot de passe incorrect."
        assert page.locator("#error").is_visible()
        assert_one_language(page, where="a refused sign-in")
        page.fill("#signin-password", PASSWORD)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#needs .receipt-form")
        form = page.locator("#needs .receipt-form").first
        form.locator("input.accepted").fill("9")
        form.locator("input.rejected").fill("1")
        form.locator("input.reason").fill("visière fissurée")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("#needs .received")
        assert "9 acceptés, 1 refusé" in page.inner_text("#needs .received")
        assert "visière fissurée" in page.inner_text("#needs .received")
        check_page(page, "app-received-fr", allowed=TYPED)
        # No signal: the page says so in French, and recovers.
        page.context.set_offline(True)
        page.click("#needs-refresh")
        page.wait_for_selector("#error:not(:empty)")
        assert page.inner_text("#error").startswith("Le serveur ne répond pas.")
        assert_one_language(page, allowed=TYPED, where="offline")
        page.context.set_offline(False)

        token = page.evaluate("localStorage.getItem('hub.token')")
        with httpx.Client(base_url=sqlite_server.url) as c:
            needs = c.get("/api/v1/needs", headers={"Authorization": f"Bearer {token}"}).json()[
                "items"
            ]
        assert len(needs) == 1
        progress = needs[0]["progress"]
        assert (progress["accepted"], progress["rejected"], progress["remaining"]) == (9, 1, 20)
        need = page.locator("#needs .need").first
        # One unit, one stage: the figures add up to the need's quantity.
        for key, value in progress["stages"].items():
            assert _stage(need, key) == value, key
        assert _stage(need, "requested") == 20
        assert _stage(need, "received") == 10
        assert sum(progress["stages"].values()) == 30

        # English on the same session, through the language switch.
        page.click("#lang")
        page.wait_for_selector("#needs .received")
        assert page.locator("html").get_attribute("lang") == "en"
        assert "received" in page.inner_text("#needs .batch .badge")
        assert "Sign out" in page.inner_text("#signout")
        assert "9 accepted, 1 rejected" in page.inner_text("#needs .received")
        check_page(page, "app-received-en", allowed=TYPED)

        # The maker's page and the label in English; then signed out.
        page.click("#signout")
        page.wait_for_selector("#auth:not([hidden])")
        check_page(page, "app-signed-out-en")
        page.fill("#signin-email", "maker@example.org")
        page.fill("#signin-password", PASSWORD)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#batches .batch")
        assert "40 units per day" in page.inner_text("#offers")
        check_page(page, "app-maker-en", allowed=TYPED)
        with page.expect_popup() as popup_info:
            page.locator("#batches .batch a.label").click()
        label = popup_info.value
        label.wait_for_selector("#label .code")
        assert "Tracking code" in label.inner_text("#label")
        check_page(label, "label-en", allowed=TYPED)
        label.close()
        browser.close()
    # The browser logs the request it could not send while offline; nothing else may fail.
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
