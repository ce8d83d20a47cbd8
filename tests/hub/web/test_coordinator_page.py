"""The coordinator's part of ``/app`` in a real browser against a real ``hub serve``.

A coordinator created with the CLI signs in, verifies a hospital and a lab waiting in their
area, runs the matcher and reads what it proposed, then picks a batch being made in the area
and corrects the made count its maker mistyped; the API confirms each step. Fails on any
console error. Each state is checked in French and English: one language only, axe-core's
serious and critical rules, a 360 px screen, a screenshot. Skips cleanly where Debian's chromium
is missing.
"""

import re
import subprocess
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from support.browser import CHROMIUM, phone_page
from support.data import PASSWORD
from support.pagecheck import PHONE, assert_one_language, check_page
from support.scenario import sign_up
from support.server import HUB, HubProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Names typed by users, and the test's own user names.
TYPED = ("CHU <Grenoble>", "Fablab des Alpes", "Coordinatrice", "1 rue du Test, Grenoble")


def _site(c: httpx.Client, who: dict[str, str], type: str, name: str) -> dict[str, Any]:
    """A site in Grenoble (region 84)."""
    body = {
        "name": name,
        "kind": "hospital" if type == "hospitals" else "fablab",
        "address": "1 rue du Test, Grenoble",
        "lat": 45.1885,
        "lon": 5.7245,
    }
    r = c.post(f"/api/v1/{type}", json=body, headers=who)
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_coordinator_verifies_matches_and_corrects(sqlite_server: HubProcess) -> None:
    from playwright.sync_api import sync_playwright

    created = subprocess.run(
        [*HUB, "users", "create", "coord@example.org", "--role", "coordinator",
         "--area", "region:84", "--name", "Coordinatrice"],
        input=PASSWORD + "\n", capture_output=True, text=True, env=sqlite_server.env, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    with httpx.Client(base_url=sqlite_server.url) as c:
        staff, maker = sign_up(c, "hospital_staff").headers, sign_up(c, "maker").headers
        hospital = _site(c, staff, "hospitals", "CHU <Grenoble>")
        lab = _site(c, maker, "labs", "Fablab des Alpes")

    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, timeout_ms=15_000, viewport=PHONE)

        page.goto(f"{sqlite_server.url}/app")
        page.fill("#signin-email", "coord@example.org")
        page.fill("#signin-password", PASSWORD)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#coord:not([hidden])")
        assert page.locator("#staff").is_hidden() and page.locator("#maker").is_hidden()
        page.locator("#pending li[data-site]").first.wait_for()
        check_page(page, "app-coordinator-fr", allowed=TYPED)

        # Both sites wait in the coordinator's area; names show as text, not markup.
        pending = page.locator("#pending li[data-site]")
        pending.first.wait_for()
        assert pending.count() == 2
        assert "CHU <Grenoble>" in page.inner_text("#pending")
        for left in (1, 0):
            # The count to wait for is fixed before the click: counted after it, a quick
            # answer would already have removed the site and the wait would be for one too few.
            page.locator("#pending li[data-site] button").first.click()
            page.wait_for_function(
                "n => document.querySelectorAll('#pending li[data-site]').length === n", arg=left
            )
        assert "Aucun site en attente" in page.inner_text("#pending")
        assert page.inner_text("#notice") == "Site vérifié."

        # A need, an offer, and a claim whose made count the maker mistypes (12 for 2).
        with httpx.Client(base_url=sqlite_server.url) as c:
            for kind, site in (("hospitals", hospital), ("labs", lab)):
                got = c.get(
                    f"/api/v1/{kind}/{site['id']}", headers=staff if kind == "hospitals" else maker
                )
                assert got.json()["status"] == "verified"
            due = (date.today() + timedelta(days=10)).isoformat()
            need = c.post(
                "/api/v1/needs",
                json={"hospital_id": hospital["id"], "design": "face-shield-prusa-rc3",
                      "quantity": 100, "needed_by": due, "priority": "high"},
                headers=staff,
            ).json()  # fmt: skip
            offers = [{"design": "face-shield-prusa-rc3", "units_per_day": 30,
                       "available_from": date.today().isoformat()}]  # fmt: skip
            assert c.put(f"/api/v1/labs/{lab['id']}/offers", json=offers, headers=maker).is_success
            claim = c.post(
                f"/api/v1/needs/{need['id']}/claims",
                json={"lab_id": lab["id"], "quantity": 20}, headers=maker,
            ).json()  # fmt: skip
            r = c.post(f"/api/v1/batches/{claim['id']}/progress", json={"made": 12}, headers=maker)
            assert r.status_code == 200, r.text

        # The matcher proposes the 80 units nobody claimed to the only lab.
        page.click("#match-run")
        page.wait_for_function("() => document.getElementById('match-result').textContent !== ''")
        result = page.inner_text("#match-result")
        # Each number with its own plural, in French (0 and 1 are singular).
        assert "1 lot proposé, 80 unités" in result, result
        assert "0 unité sans atelier" in result, result
        assert re.search(r"terminé en [\d,]+ secondes?\s:", result), result

        # The batch being made is listed; its button fills the form with its number and count.
        item = page.locator(f"#claimed li[data-batch='{claim['id']}']")
        assert "12 fabriqués sur 20" in item.inner_text()
        check_page(page, "app-coordinator-matched-fr", allowed=TYPED)
        item.locator("button").click()
        assert page.input_value("#correct-batch") == str(claim["id"])
        assert page.input_value("#correct-made") == "12"
        # The coordinator corrects the claimed batch's made count, down, with a reason.
        page.fill("#correct-made", "2")
        page.fill("#correct-reason", "faute de frappe : 2, pas 12")
        page.click("#correct-form button[type=submit]")
        page.wait_for_function(
            "() => document.getElementById('notice').textContent.includes('Lot')"
        )
        assert f"Lot n° {claim['id']}" in page.inner_text("#notice")
        assert "2 fabriqués sur 20" in page.inner_text("#notice")
        assert "2 fabriqués sur 20" in item.inner_text()
        with httpx.Client(base_url=sqlite_server.url) as c:
            batch = c.get(f"/api/v1/batches/{claim['id']}", headers=maker).json()
        assert batch["made"] == 2

        # A refusal reads in the page's language: made above the batch's quantity.
        page.fill("#correct-batch", str(claim["id"]))
        page.fill("#correct-made", "500")
        page.fill("#correct-reason", "essai")
        page.click("#correct-form button[type=submit]")
        page.wait_for_function("() => document.getElementById('error').textContent !== ''")
        refusal = page.inner_text("#error")
        assert refusal.startswith("Saisie invalide") and "dépasse" in refusal, refusal
        assert_one_language(page, allowed=TYPED, where="a refused correction")

        # The same page in English.
        page.click("#lang")
        page.wait_for_selector("#claimed li[data-batch]")
        assert page.locator("html").get_attribute("lang") == "en"
        assert "2 made of 20" in page.inner_text("#claimed")
        page.click("#match-run")
        page.wait_for_function("() => document.getElementById('match-result').textContent !== ''")
        result = page.inner_text("#match-result")
        assert "0 batches proposed, 0 units, 0 units without a lab" in result, result
        check_page(page, "app-coordinator-en", allowed=TYPED)
        browser.close()
    assert [e for e in errors if "(Unprocessable" not in e and "(Conflict" not in e] == []
