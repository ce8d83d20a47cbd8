"""The account's pages (change password, sessions, sign out everywhere; the reset link's page)
in a real phone-sized browser against a real ``hub serve``, and no token ever taken from a URL.

The hole it closes: "the dashboard takes a token from ?token= and keeps it in the URL"; and the
pages for "no password change, no reset, no sign out everywhere". Each state of each page: one
language, axe-core, 360 px, a screenshot, no console error.
"""

import re
import subprocess
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from support.browser import CHROMIUM, phone_page
from support.data import PASSWORD
from support.pagecheck import PHONE, check_page
from support.server import HUB, HubProcess

STATIC = Path(__file__).resolve().parents[3] / "hub" / "web" / "static"
LOCALES = {"fr": "fr-FR", "en": "en-GB"}
T = TypeVar("T")


def browser_test(test: T) -> T:
    """Mark a test that drives Debian's chromium (skipped where it is missing)."""
    for mark in (
        pytest.mark.browser,
        pytest.mark.slow,
        pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    ):
        test = mark(test)
    return test


def test_no_page_script_reads_a_token_from_the_address() -> None:
    """Tokens come from the sign-in answer only: never from ``?token=`` or the like."""
    for script in STATIC.glob("*.js"):
        source = script.read_text(encoding="utf-8")
        assert not re.search(r"""\.get\(\s*["'](token|access_token|bearer)["']""", source), (
            script.name
        )
        for call in re.findall(r"token\.set\(([^;]*)\);", source):
            assert call.strip() == "(await r.json()).access_token", f"{script.name}: {call}"


async def test_the_api_takes_no_token_from_the_query(client: httpx.AsyncClient, hub) -> None:
    ana = await hub.account("maker")
    for name in ("token", "access_token", "bearer"):
        r = await client.get(f"/api/v1/auth/me?{name}={ana.token}")
        assert r.status_code == 401, name


def _sign_up(server: HubProcess, email: str) -> str:
    r = httpx.post(
        f"{server.url}/api/v1/auth/signup",
        json={"email": email, "password": PASSWORD, "name": "Ana Martin", "role": "maker"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["access_token"])


@browser_test
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_dashboard_keeps_no_token_from_its_address(
    sqlite_server: HubProcess, lang: str
) -> None:
    from playwright.sync_api import sync_playwright

    token = _sign_up(sqlite_server, f"coord-{lang}@example.org")
    errors: list[str] = []
    sent: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, viewport=PHONE, locale=LOCALES[lang])
        page.on("request", lambda r: sent.append(r.headers.get("authorization", "")))
        page.goto(f"{sqlite_server.url}/dashboard?area=FR&token={token}")
        page.wait_for_selector("#connection[data-state=open]")
        assert page.evaluate("() => localStorage.getItem('hub.token')") is None
        assert page.locator("#signout").is_hidden()
        browser.close()
    assert not any(token in header for header in sent)
    assert errors == []


@browser_test
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_change_password_sessions_and_sign_out_everywhere(
    sqlite_server: HubProcess, lang: str
) -> None:
    from playwright.sync_api import sync_playwright

    email = f"ana-{lang}@example.org"
    api_token = _sign_up(sqlite_server, email)  # a first session, from "another device"
    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(
            p,
            errors,
            ignore=("401 (Unauthorized)", "403 (Forbidden)", "422 (Unprocessable Entity)"),
            viewport=PHONE,
            locale=LOCALES[lang],
        )
        page.on("dialog", lambda d: d.accept())
        page.goto(f"{sqlite_server.url}/account")
        page.wait_for_selector("#signed-out:not([hidden])")
        check_page(page, f"account-signed-out-{lang}")

        # Sign in on /app, then come to the account page by the footer's link.
        page.goto(f"{sqlite_server.url}/app")
        page.wait_for_selector("#auth:not([hidden])")
        page.fill("#signin-email", email)
        page.fill("#signin-password", PASSWORD)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#maker:not([hidden])")
        page.click("footer a[href^='/account']")
        page.wait_for_selector("#sessions li >> nth=1")
        rows = page.locator("#sessions li")
        assert rows.count() == 2
        this = page.locator("#sessions li:has(.badge)")
        assert this.count() == 1
        assert "Chrome" in this.inner_text()
        check_page(page, f"account-{lang}")

        # Sign the other device out.
        page.click("#sessions li:not(:has(.badge)) button")
        page.wait_for_function("() => document.querySelectorAll('#sessions li').length === 1")
        assert (
            httpx.get(
                f"{sqlite_server.url}/api/v1/auth/me",
                headers={"Authorization": f"Bearer {api_token}"},
            ).status_code
            == 401
        )

        # A wrong current password is refused in words, and the page stays signed in.
        page.fill("#password-current", "not my password")
        page.fill("#password-new", "a brand new passphrase")
        page.click("#password-form button[type=submit]")
        page.wait_for_selector("#error:not(:empty)")
        assert ("actuel" if lang == "fr" else "current") in page.inner_text("#error")
        check_page(page, f"account-wrong-password-{lang}")
        # A common one too.
        page.fill("#password-current", PASSWORD)
        page.fill("#password-new", "azertyuiop")
        page.click("#password-form button[type=submit]")
        page.wait_for_function(
            "() => /azerty|password|motdepasse|12345678/.test("
            "document.querySelector('#error').textContent)"
        )
        page.fill("#password-current", PASSWORD)
        page.fill("#password-new", "a brand new passphrase")
        page.click("#password-form button[type=submit]")
        page.wait_for_selector("#notice:not(:empty)")
        assert page.evaluate("() => localStorage.getItem('hub.token')") is not None
        check_page(page, f"account-password-changed-{lang}")

        # Sign out everywhere: this device too.
        page.click("#everywhere")
        page.wait_for_selector("#signed-out:not([hidden])")
        assert page.evaluate("() => localStorage.getItem('hub.token')") is None
        check_page(page, f"account-signed-out-everywhere-{lang}")
        browser.close()
    assert errors == []
    signed_in = httpx.post(
        f"{sqlite_server.url}/api/v1/auth/token",
        json={"email": email, "password": "a brand new passphrase"},
    )
    assert signed_in.status_code == 200


def _reset_link(server: HubProcess, email: str) -> str:
    r = subprocess.run(
        [*HUB, "users", "reset", email, "--base-url", server.url],
        env=server.env,
        cwd=server.log_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@browser_test
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_reset_link_opens_a_page_that_sets_the_password_once(
    sqlite_server: HubProcess, lang: str
) -> None:
    from playwright.sync_api import sync_playwright

    email = f"reset-{lang}@example.org"
    old_session = _sign_up(sqlite_server, email)
    link = _reset_link(sqlite_server, email)
    errors: list[str] = []
    requested: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(
            p,
            errors,
            ignore=("422 (Unprocessable Entity)", "422 (Unprocessable Content)"),
            viewport=PHONE,
            locale=LOCALES[lang],
        )
        page.on("request", lambda r: requested.append(r.url))
        # Forgot the password: the page answers the same words for any address.
        page.goto(f"{sqlite_server.url}/app")
        page.click("a[href^='/reset']")
        page.wait_for_selector("#ask:not([hidden])")
        check_page(page, f"reset-ask-{lang}")
        page.fill("#ask-email", "nobody@example.org")
        page.click("#ask-form button[type=submit]")
        page.wait_for_selector("#notice:not(:empty)")
        unknown = page.inner_text("#notice")
        page.fill("#ask-email", email)
        page.click("#ask-form button[type=submit]")
        page.wait_for_timeout(500)
        assert page.inner_text("#notice") == unknown
        check_page(page, f"reset-asked-{lang}")

        # The link an administrator passed on.
        page.goto(link)
        page.wait_for_selector("#set:not([hidden])")
        check_page(page, f"reset-set-{lang}")
        page.fill("#set-password", "12345678")
        page.click("#set-form button[type=submit]")
        page.wait_for_selector("#error:not(:empty)")
        page.fill("#set-password", "a brand new passphrase")
        page.click("#set-form button[type=submit]")
        page.wait_for_selector("#done:not([hidden])")
        assert "#" not in page.url
        check_page(page, f"reset-done-{lang}")

        # Used once: the same link now says so.
        page.goto(link)
        page.wait_for_selector("#set:not([hidden])")
        page.fill("#set-password", "yet another passphrase")
        page.click("#set-form button[type=submit]")
        page.wait_for_selector("#error:not(:empty)")
        assert ("déjà servi" if lang == "fr" else "already") in page.inner_text("#error")
        browser.close()
    assert errors == []
    token = link.split("#", 1)[1]
    assert not any(token in url for url in requested)  # the fragment never left the browser
    me = httpx.get(
        f"{sqlite_server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {old_session}"}
    )
    assert me.status_code == 401
    signed_in = httpx.post(
        f"{sqlite_server.url}/api/v1/auth/token",
        json={"email": email, "password": "a brand new passphrase"},
    )
    assert signed_in.status_code == 200
