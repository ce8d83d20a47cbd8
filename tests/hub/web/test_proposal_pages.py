"""Issue 15's last maker journey through the pages: a matcher proposal, accepted and declined.

On a 360 px phone, brand-new accounts sign up on ``/app``: hospital staff create a site and
post two needs, a maker creates a lab and declares a capacity, and stays on the page. In a
second browser context a coordinator (made with ``hub users create``) verifies both sites on
``/coordinate``, runs the matcher, runs it again (the new run replaces the unsent drafts of
the first, and says so) and sends its two draft proposals. The maker's page shows them
without a reload (the live stream), and says so; the Refresh next to them says how many wait.

Each proposal card shows the hospital, the distance, the date needed, the quantity and what the
lab can make by then, with Accept and Decline and no label to print. Accepting says so next to
the card, inside the screen below the sticky header, in an aria-live region; the batch is then
claimed in "My batches", with its label. Declining the other says so too, and its units go back
to the need: the hospital sees them waiting for a lab again. French and English; zero console
errors; language, axe-core serious/critical = 0, no overflow and a screenshot in every state.
"""

from datetime import date
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from babel.dates import format_date
from support.browser import CHROMIUM, phone_page
from support.data import PASSWORD
from support.pagecheck import check_page
from support.scenario import coordinator
from support.server import HubProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_360 = {"width": 360, "height": 740}
DESIGN = "face-shield-prusa-rc3"
TYPED = ("Dr Urgences", "M. Fabricant", "CHU <Grenoble>", "Fablab Nord", "1 rue du Test, Grenoble")
#: Two needs (the matcher drafts one proposal for each): one is accepted, the other declined.
ACCEPTED, DECLINED = 40, 25

WORDS = {
    "fr": {
        "posted": "Besoin publié",
        "saved": "Enregistré.",
        "can": "peut encore fabriquer",
        "arrived": "2 nouvelles propositions sont arrivées.",
        "waiting": "2 propositions attendent votre réponse.",
        "accepted": "Proposition acceptée",
        "declined": "Proposition refusée",
        "label": "Imprimer l’étiquette",
        "claimed": "pris en charge",
        "sent": "Envoyé",
        "replaces": "Ce calcul remplace 2 propositions non envoyées de calculs précédents.",
    },
    "en": {
        "posted": "Need posted",
        "saved": "Saved.",
        "can": "can make",
        "arrived": "2 new proposals arrived.",
        "waiting": "2 proposals wait for your answer.",
        "accepted": "Proposal accepted",
        "declined": "Proposal declined",
        "label": "Print label",
        "claimed": "claimed",
        "sent": "Sent",
        "replaces": "It replaces 2 unsent proposals of earlier runs.",
    },
}


def _said(page: "Page", selector: str, expected: str) -> "Locator":
    """The message (with ``expected`` in it) is in an aria-live region; return it."""
    message = page.locator(selector)
    message.filter(has_text=expected).wait_for()
    live = message.evaluate("el => el.closest('[aria-live]')?.getAttribute('aria-live')")
    assert live in ("polite", "assertive"), (selector, live)
    return message


def _in_view(page: "Page", selector: str, expected: str) -> "Locator":
    """The message (with ``expected`` in it) is in an aria-live region, shown inside the
    screen below the sticky header; return it."""
    message = _said(page, selector, expected)
    box = message.bounding_box()
    header = page.locator("header").bounding_box()
    assert box is not None and header is not None
    assert box["y"] >= header["y"] + header["height"] - 1, (selector, box, header)
    assert box["y"] + box["height"] <= PHONE_360["height"], (selector, box)
    return message


def _sign_up(page: "Page", role: str, name: str, email: str) -> None:
    page.select_option("#signup-role", role)
    page.fill("#signup-name", name)
    page.fill("#signup-email", email)
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-form button[type=submit]")


def _sign_in(page: "Page", email: str) -> None:
    page.fill("#signin-email", email)
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")


def _site(page: "Page", prefix: str, name: str, lat: str, lon: str) -> None:
    page.fill(f"#{prefix}-name", name)
    page.fill(f"#{prefix}-address", "1 rue du Test, Grenoble")
    page.click(f"#{prefix}-form details.coords summary")
    page.fill(f"#{prefix}-lat", lat)
    page.fill(f"#{prefix}-lon", lon)
    page.click(f"#{prefix}-form button[type=submit]")


def _headers(page: "Page") -> dict[str, str]:
    return {"Authorization": f"Bearer {page.evaluate('localStorage.getItem(`hub.token`)')}"}


def _second_page(browser: "Browser", errors: list[str], locale: str) -> "Page":
    """Another phone in the same browser (its own storage: its own signed-in account)."""
    context = browser.new_context(
        viewport=PHONE_360, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def _coordinate(page: "Page", base: str, lang: str, email: str, words: dict[str, str]) -> None:
    """The coordinator verifies the two sites, runs the matcher and sends its two drafts."""
    page.goto(f"{base}/coordinate?lang={lang}")
    page.wait_for_selector("#auth:not([hidden])")
    _sign_in(page, email)
    page.wait_for_selector("#coord:not([hidden])")
    page.locator("#pending li[data-site]").first.wait_for()
    for left in (1, 0):
        page.locator("#pending li[data-site] button.verify").first.click()
        page.wait_for_function(
            "n => document.querySelectorAll('#pending li[data-site]').length === n", arg=left
        )
    page.click("#match-run")
    page.wait_for_function("() => document.querySelectorAll('#runs .proposal').length === 2")
    first = page.get_attribute("#runs .run", "data-run")
    # Run again before sending: the new run replaces the unsent drafts, and says so.
    page.click("#match-run")
    page.locator("#match-result").filter(has_text=words["replaces"]).wait_for()
    page.wait_for_function(
        "old => document.querySelectorAll('#runs .run').length === 1"
        " && document.querySelector('#runs .run').dataset.run !== old",
        arg=first,
    )
    assert page.locator("#runs .proposal").count() == 2
    page.click("#runs button.send")
    page.locator("#runs .run-said").filter(has_text=words["sent"]).wait_for()
    check_page(page, f"proposal-coordinator-sent-{lang}", allowed=TYPED)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_maker_accepts_and_declines_proposals_through_the_pages(
    sqlite_server: HubProcess, lang: str
) -> None:
    from playwright.sync_api import sync_playwright

    w = WORDS[lang]
    base = sqlite_server.url
    staff_email, maker_email = f"urgences-{lang}@example.org", f"fabricant-{lang}@example.org"
    locale = "fr-FR" if lang == "fr" else "en-GB"
    boss = coordinator(sqlite_server, email=f"coord-{lang}@example.org", area="region:84")
    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, timeout_ms=20_000, viewport=PHONE_360, locale=locale)

        # Hospital staff: a new account, a site, two needs.
        page.goto(f"{base}/app?lang={lang}")
        page.wait_for_selector("#auth:not([hidden])")
        _sign_up(page, "hospital_staff", "Dr Urgences", staff_email)
        page.wait_for_selector("#staff:not([hidden])")
        _site(page, "hospital", "CHU <Grenoble>", "45.1885", "5.7245")
        page.wait_for_selector("#need-section:not([hidden])")
        for quantity in (ACCEPTED, DECLINED):
            page.select_option("#need-design", DESIGN)
            page.fill("#need-quantity", str(quantity))
            page.select_option("#need-priority", "high")
            page.click("#need-submit")
            page.wait_for_function(
                "q => [...document.querySelectorAll('#needs .need h3')]"
                ".some((h) => h.textContent.endsWith(' ' + q))",
                arg=str(quantity),
            )
        _in_view(page, "#notice", w["posted"])
        with httpx.Client(base_url=base, headers=_headers(page)) as c:
            needs = {n["quantity"]: n for n in c.get("/api/v1/needs?limit=5").json()["items"]}
        assert set(needs) == {ACCEPTED, DECLINED}
        page.click("#signout")
        page.wait_for_selector("#auth:not([hidden])")

        # Maker: a new account, a lab nearby, 20 a day; the page stays open, waiting.
        _sign_up(page, "maker", "M. Fabricant", maker_email)
        page.wait_for_selector("#maker:not([hidden])")
        _site(page, "lab", "Fablab Nord", "45.2000", "5.7300")
        page.wait_for_selector("#offer-section:not([hidden])")
        page.select_option("#offer-design", DESIGN)
        page.fill("#offer-rate", "20")
        page.click("#offer-form button[type=submit]")
        _in_view(page, "#notice", w["saved"])
        assert page.locator("#proposals .proposal").count() == 0
        # The page listens to the live stream (it is open before the coordinator sends).
        page.wait_for_selector("#proposals-section[data-live=open]")

        # A coordinator, on another phone: verify, run the matcher, send.
        coord_page = _second_page(browser, errors, locale)
        _coordinate(coord_page, base, lang, boss.email, w)
        coord_page.context.close()

        # The lab's verification shows by itself, and so do the proposals, which the page
        # announces (read out; it does not scroll away from what the maker is doing).
        page.wait_for_selector("#labs .st-verified")
        page.wait_for_function(
            "() => document.querySelectorAll('#proposals .proposal').length === 2"
        )
        _said(page, "#proposals-said", w["arrived"])
        # The Refresh next to them says how many wait for an answer.
        page.click("#proposals-refresh")
        said = _in_view(page, "#proposals-said", w["waiting"])
        assert said.inner_text() == w["waiting"]
        with httpx.Client(base_url=base, headers=_headers(page)) as c:
            lab = c.get("/api/v1/labs?mine=true").json()["items"][0]
            proposed = c.get(f"/api/v1/batches?lab_id={lab['id']}&state=proposed").json()["items"]
        by_need = {b["need_id"]: b for b in proposed}
        take, give_back = by_need[needs[ACCEPTED]["id"]], by_need[needs[DECLINED]["id"]]
        assert (take["quantity"], give_back["quantity"]) == (ACCEPTED, DECLINED)

        # Each card: the hospital, the distance, the date needed, the quantity, what the lab
        # can make by then; Accept and Decline, and no label to print for a mere proposal.
        for batch, quantity in ((take, ACCEPTED), (give_back, DECLINED)):
            card = page.locator(f'#proposals .proposal[data-batch="{batch["id"]}"]')
            text = card.inner_text().replace("\u00a0", " ")
            needed_by = date.fromisoformat(needs[quantity]["needed_by"])
            when = format_date(needed_by, "long", locale="fr" if lang == "fr" else "en_GB")
            assert "CHU <Grenoble>" in text and when in text, text
            assert f"{batch['distance_km']:.1f}".replace(".", "," if lang == "fr" else ".") in text
            assert "km" in text and f"× {quantity}" in text and w["can"] in text, text
            assert card.locator("button.accept").is_visible()
            assert card.locator("button.decline").is_visible()
            assert card.locator("a.label").count() == 0 and w["label"] not in text
        check_page(page, f"proposal-cards-{lang}", allowed=TYPED)

        # Accept the first: a message next to it, in view; the batch is claimed, with a label.
        page.locator(f'#proposals [data-batch="{take["id"]}"] button.accept').click()
        said = _in_view(page, "#notice", w["accepted"])
        assert take["code"] in said.inner_text()
        claimed = page.locator(f'#batches .batch[data-batch="{take["id"]}"]')
        claimed.locator(".st-claimed").wait_for()
        assert w["claimed"] in claimed.inner_text()
        label = claimed.locator("a.label")
        assert label.get_attribute("href").startswith(f"/label/{take['id']}")
        assert page.locator(f'#proposals [data-batch="{take["id"]}"]').count() == 0
        # The message stands next to the batch it is about.
        next_to = page.evaluate(
            "id => document.getElementById('notice').previousElementSibling?.dataset.batch",
            str(take["id"]),
        )
        assert next_to == str(take["id"])
        check_page(page, f"proposal-accepted-{lang}", allowed=TYPED)

        # Decline the other: a message in view; its units go back to the need.
        page.locator(f'#proposals [data-batch="{give_back["id"]}"] button.decline').click()
        # Said where the card stood, at the head of the proposals.
        _in_view(page, "#proposals-said", w["declined"])
        page.wait_for_function("() => !document.querySelector('#proposals .proposal')")
        # A declined proposal never was the lab's work: not among its batches.
        assert page.locator(f'#batches [data-batch="{give_back["id"]}"]').count() == 0
        # The message of the accepted one is gone (the lists drawn anew may have taken it).
        assert page.evaluate("() => document.getElementById('notice')?.textContent ?? ''") == ""
        check_page(page, f"proposal-declined-{lang}", allowed=TYPED)
        with httpx.Client(base_url=base, headers=_headers(page)) as c:
            mine = c.get(f"/api/v1/batches?lab_id={lab['id']}").json()["items"]
            need: dict[str, Any] = c.get(f"/api/v1/needs/{needs[DECLINED]['id']}").json()
        assert sorted((b["id"], b["state"]) for b in mine) == [
            (take["id"], "claimed"),
            (give_back["id"], "declined"),
        ]
        assert need["progress"]["stages"]["requested"] == DECLINED
        page.click("#signout")
        page.wait_for_selector("#auth:not([hidden])")

        # The hospital sees the declined need's units waiting for a lab again.
        _sign_in(page, staff_email)
        card = page.locator(f'#needs .need[data-need="{needs[DECLINED]["id"]}"]')
        card.locator("[data-stage=requested] b").wait_for()
        assert card.locator("[data-stage=requested] b").inner_text() == str(DECLINED)
        other = page.locator(f'#needs .need[data-need="{needs[ACCEPTED]["id"]}"]')
        assert other.locator("[data-stage=being_made] b").inner_text() == str(ACCEPTED)
        check_page(page, f"proposal-staff-{lang}", allowed=TYPED)
        browser.close()
    assert errors == []
