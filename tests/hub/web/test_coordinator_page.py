"""The coordinators' page, ``/coordinate``, in a real browser against a real ``hub serve``.

A coordinator created with the CLI signs in on a 360 px phone, verifies a hospital and a lab
waiting in their area (each shown with who created it and its contact), runs the matcher and
reviews its draft proposals (changes one's quantity, removes another, sends the rest: the lab
sees only what was sent), corrects a mistyped made count next to its batch, opens the
dashboard signed in by the same session, and signs out: the token is revoked and nothing of
the page stays on screen. Every message is checked to be inside the viewport after the action
that caused it. Each state: one language, axe-core's serious and critical rules, no overflow,
a screenshot; French, then English. Fails on any console error.
"""

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from support.browser import CHROMIUM, phone_page
from support.data import PASSWORD
from support.pagecheck import PHONE, SHOTS, assert_one_language, check_page
from support.scenario import coordinator, sign_up
from support.server import HubProcess

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Names typed by users, and the test's own user names.
TYPED = (
    "CHU <Grenoble>", "Fablab des Alpes", "Coordination", "1 rue du Test, Grenoble", "A maker",
    "A hospital_staff", "Dr Contact",
)  # fmt: skip
DESIGN = "face-shield-prusa-rc3"


def _site(c: httpx.Client, who: dict[str, str], type: str, name: str) -> dict[str, Any]:
    """A site in Grenoble (region 84), with a contact."""
    body = {
        "name": name,
        "kind": "hospital" if type == "hospitals" else "fablab",
        "address": "1 rue du Test, Grenoble",
        "lat": 45.1885,
        "lon": 5.7245,
        "contact_name": "Dr Contact",
        "contact_phone": "+33 4 76 00 00 00",
    }
    r = c.post(f"/api/v1/{type}", json=body, headers=who)
    assert r.status_code == 201, r.text
    return dict(r.json())


def in_view(page: "Page", locator: "Locator") -> bool:
    """Whether the element is inside the viewport and below the sticky header (a message
    next to the action, where the user looks)."""
    box = locator.bounding_box()
    size = page.viewport_size
    header = page.locator("header").bounding_box()
    assert box is not None and size is not None and header is not None
    top = header["y"] + header["height"]
    return box["y"] >= top - 1 and box["y"] + box["height"] <= size["height"] + 1


def _places(server: HubProcess) -> tuple[str, ...]:
    """The names users typed, and the départements' (proper nouns in both languages: "Lot")."""
    with httpx.Client(base_url=server.url) as c:
        names = c.get("/api/v1/dashboard/outlines").json()["names"].values()
    return (*TYPED, *sorted(names, key=len, reverse=True))


def _sign_in(page: "Page", url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#auth:not([hidden])")
    page.fill("#signin-email", "coord@example.org")
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#coord:not([hidden])")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_coordinator_verifies_reviews_proposals_corrects_and_signs_out(
    sqlite_server: HubProcess,
) -> None:
    from playwright.sync_api import sync_playwright

    boss = coordinator(sqlite_server, "coord@example.org", "region:84")
    with httpx.Client(base_url=sqlite_server.url) as c:
        staff_account, maker_account = sign_up(c, "hospital_staff"), sign_up(c, "maker")
        staff, maker = staff_account.headers, maker_account.headers
        hospital = _site(c, staff, "hospitals", "CHU <Grenoble>")
        lab = _site(c, maker, "labs", "Fablab des Alpes")

    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, timeout_ms=15_000, viewport=PHONE)
        page.goto(f"{sqlite_server.url}/coordinate")
        page.wait_for_selector("#auth:not([hidden])")
        # Coordinators are created on the command line: no sign-up form here.
        assert page.locator("#signup-form").count() == 0
        check_page(page, "coordinate-signed-out-fr")
        _sign_in(page, f"{sqlite_server.url}/coordinate")
        pending = page.locator("#pending li[data-site]")
        pending.first.wait_for()
        assert pending.count() == 2
        text = page.inner_text("#pending")
        # Names show as text, with who created the site and its contact.
        assert "CHU <Grenoble>" in text
        assert f"Créé par A hospital_staff ({staff_account.email})" in text, text
        assert "Contact\u00a0: Dr Contact · +33 4 76 00 00 00" in text, text
        check_page(page, "coordinate-pending-fr", allowed=TYPED)
        for left in (1, 0):
            # The count to wait for is fixed before the click (a quick answer would already
            # have removed the site).
            page.locator("#pending li[data-site] button.verify").first.click()
            page.wait_for_function(
                "n => document.querySelectorAll('#pending li[data-site]').length === n", arg=left
            )
        assert "Aucun site en attente" in page.inner_text("#pending")
        assert page.inner_text("#pending-said").startswith("Site vérifié\u00a0: ")
        assert in_view(page, page.locator("#pending-said"))

        # Two needs, an offer, and a claim whose made count the maker mistypes (12 for 2).
        with httpx.Client(base_url=sqlite_server.url) as c:
            due = (date.today() + timedelta(days=10)).isoformat()
            needs = [
                c.post(
                    "/api/v1/needs",
                    json={"hospital_id": hospital["id"], "design": DESIGN, "quantity": q,
                          "needed_by": due, "priority": "high"},
                    headers=staff,
                ).json()
                for q in (100, 30)
            ]  # fmt: skip
            offers = [{"design": DESIGN, "units_per_day": 30,
                       "available_from": date.today().isoformat()}]  # fmt: skip
            assert c.put(f"/api/v1/labs/{lab['id']}/offers", json=offers, headers=maker).is_success
            claim = c.post(
                f"/api/v1/needs/{needs[0]['id']}/claims",
                json={"lab_id": lab["id"], "quantity": 20}, headers=maker,
            ).json()  # fmt: skip
            r = c.post(f"/api/v1/batches/{claim['id']}/progress", json={"made": 12}, headers=maker)
            assert r.status_code == 200, r.text

        # The matcher drafts two proposals: 80 and 30 units, which the lab does not see yet.
        page.click("#match-run")
        page.wait_for_selector("#runs .proposal")
        result = page.inner_text("#match-result")
        assert "2 lots proposés, 110 unités" in result, result
        assert re.search(r"terminé en [\d,]+ secondes?\s:", result), result
        drafts = page.locator("#runs .proposal")
        assert drafts.count() == 2
        assert "Fablab des Alpes fabrique pour CHU <Grenoble>" in drafts.first.inner_text()
        with httpx.Client(base_url=sqlite_server.url) as c:
            seen = c.get(f"/api/v1/batches?lab_id={lab['id']}", headers=maker).json()["items"]
        assert [b["state"] for b in seen] == ["claimed"]
        check_page(page, "coordinate-drafts-fr", allowed=TYPED)
        # The README's picture: the proposals to review, as a phone shows them.
        page.evaluate(
            "() => window.scrollTo(0, document.getElementById('match-section')"
            ".getBoundingClientRect().top + window.scrollY - 100)"
        )
        page.screenshot(path=str(SHOTS / "docs-coordinator-fr.png"), scale="css")

        # Change the first proposal's quantity: the message shows in its card, in view.
        first = page.locator("#runs .proposal").first
        first_id = first.get_attribute("data-batch")
        first.locator("input[type=number]").fill("60")
        first.locator(".adjust-form button[type=submit]").click()
        said = page.locator(f"#runs [data-batch='{first_id}'] .feedback")
        said.filter(has_text="Passé à 60 unités.").wait_for()
        assert in_view(page, said)
        assert "× 60" in page.inner_text(f"#runs [data-batch='{first_id}'] h3")

        # Remove the other one.
        other = page.locator(f"#runs .proposal:not([data-batch='{first_id}'])")
        other.locator("button.cancel").click()
        page.wait_for_function("() => document.querySelectorAll('#runs .proposal').length === 1")
        run_said = page.locator("#runs .run-said")
        assert "Proposition retirée" in run_said.inner_text()
        assert in_view(page, run_said)

        # Send: the lab now sees one proposal of 60.
        send = page.locator("#runs button.send")
        assert send.inner_text() == "Envoyer 1 proposition aux ateliers"
        send.click()
        page.locator("#runs .run-said").filter(has_text="Envoyé").wait_for()
        assert in_view(page, page.locator("#runs .run-said"))
        assert page.locator("#runs button.send").is_hidden()
        assert "proposé" in page.inner_text("#runs .proposal .badge")
        check_page(page, "coordinate-sent-fr", allowed=TYPED)
        with httpx.Client(base_url=sqlite_server.url) as c:
            seen = c.get(f"/api/v1/batches?lab_id={lab['id']}", headers=maker).json()["items"]
        assert sorted((b["state"], b["quantity"]) for b in seen) == [
            ("claimed", 20),
            ("proposed", 60),
        ]

        # The correction form is next to its batch; its message too.
        item = page.locator(f"#claimed li[data-batch='{claim['id']}']")
        assert "12 fabriqués sur 20" in item.inner_text()
        item.locator("summary").click()
        item.locator("input[type=number]").fill("2")
        item.locator("input:not([type=number])").fill("faute de frappe : 2, pas 12")
        item.locator("button[type=submit]").click()
        said = page.locator(f"#claimed li[data-batch='{claim['id']}'] .feedback")
        said.filter(has_text="2 fabriqués sur 20").wait_for()
        assert in_view(page, said)
        assert f"Lot n° {claim['id']}" in said.inner_text()
        with httpx.Client(base_url=sqlite_server.url) as c:
            assert c.get(f"/api/v1/batches/{claim['id']}", headers=maker).json()["made"] == 2
        # A refusal reads in the page's language, next to the form: above the quantity.
        item = page.locator(f"#claimed li[data-batch='{claim['id']}']")
        item.locator("summary").click()
        item.locator("input[type=number]").evaluate("el => el.removeAttribute('max')")
        item.locator("input[type=number]").fill("500")
        item.locator("input:not([type=number])").fill("essai")
        item.locator("button[type=submit]").click()
        refusal = page.locator(f"#claimed li[data-batch='{claim['id']}'] .feedback.error")
        refusal.wait_for()
        assert refusal.inner_text().startswith("Saisie invalide"), refusal.inner_text()
        assert in_view(page, refusal)
        assert_one_language(page, allowed=TYPED, where="a refused correction")
        check_page(page, "coordinate-corrected-fr", allowed=TYPED)

        # The dashboard, linked and signed in by the same session: no token in the address.
        page.click("#dashboard-link")
        page.wait_for_url("**/dashboard?**area=region%3A84**")
        assert "token" not in page.url
        page.wait_for_selector("#connection[data-state=open]")
        page.wait_for_selector(f"#counters td[data-design='{DESIGN}']")
        # The counters reflow into a card, and the region takes the keyboard's focus.
        page.focus("#counters-section .scroll")
        assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
        check_page(page, "dashboard-coordinator-fr", allowed=_places(sqlite_server))
        page.click("#coordinate-link")
        page.wait_for_selector("#coord:not([hidden])")

        # Sign out: the token is revoked, nothing of the page stays under the sign-in form.
        token = page.evaluate("localStorage.getItem('hub.token')")
        page.click("#signout")
        page.wait_for_selector("#auth:not([hidden])")
        assert page.locator("#coord").is_hidden()
        assert page.locator("#pending li, #runs li, #claimed li").count() == 0
        with httpx.Client(base_url=sqlite_server.url) as c:
            me = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
        check_page(page, "coordinate-signed-out-again-fr")

        # English.
        _sign_in(page, f"{sqlite_server.url}/coordinate?lang=en")
        page.wait_for_selector("#claimed li[data-batch]")
        assert page.locator("html").get_attribute("lang") == "en"
        assert "2 made of 20" in page.inner_text("#claimed")
        assert "No site awaiting verification" in page.inner_text("#pending")
        check_page(page, "coordinate-en", allowed=TYPED)
        page.click("#match-run")
        page.wait_for_function("() => document.getElementById('match-result').textContent !== ''")
        # What the removed proposal and the smaller one left: 20 + 30 units, as drafts.
        assert "2 batches proposed, 50 units" in page.inner_text("#match-result")
        page.wait_for_selector("#runs button.send")
        assert page.inner_text("#runs button.send") == "Send 2 proposals to the labs"
        check_page(page, "coordinate-drafts-en", allowed=TYPED)
        page.click("#dashboard-link")
        page.wait_for_selector("#connection[data-state=open]")
        page.wait_for_selector(f"#counters td[data-design='{DESIGN}']")
        check_page(page, "dashboard-coordinator-en", allowed=_places(sqlite_server))
        browser.close()
    del boss
    # The refused correction (422) is the only failed request.
    assert [e for e in errors if "(Unprocessable" not in e] == []
