"""Every page over HTTP: the strict Content-Security-Policy and the other security headers, a
reader's language in the whole page (its hidden parts too), and nothing inline that the policy
would refuse. The browser tests show the same pages working under that policy.
"""

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.pagecheck import UNFILLED, assert_strict_csp, english_words, french_words

from hub.web.endpoints import HERE

#: Every page, and what it is for the check.
PAGES = ["/", "/app", "/coordinate", "/driver", "/dashboard", "/label/1", "/account", "/reset"]
DOCS = ["/docs", "/redoc"]


class _Text(HTMLParser):
    """The words of a page a reader could see, hidden parts included, and what is inline."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.inline: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script" and not names.get("src"):
            self.inline.append("<script> without src")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"<{tag} {name}=…>")
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.words.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.words.append(data)


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", [*PAGES, *DOCS, "/app?lang=en", "/i18n/fr.json", "/nowhere"])
async def test_every_response_has_the_strict_policy(client: httpx.AsyncClient, path: str) -> None:
    """Pages, docs, the catalogue and errors alike: no inline script or style, no framing."""
    r = await client.get(path)
    assert_strict_csp(r.headers, where=path)


async def test_static_files_have_the_headers_and_are_revalidated(
    client: httpx.AsyncClient,
) -> None:
    """Scripts carry no version in their names: a phone must check them before reuse."""
    for name in ("hub.js", "app.js", "hub.css", "swagger-ui-bundle.js", "redoc.standalone.js"):
        r = await client.get(f"/static/{name}")
        assert r.status_code == 200, name
        assert r.headers["cache-control"] == "no-cache", name
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert "https://" not in r.text or name.endswith(("bundle.js", "standalone.js")), name


async def test_redoc_alone_gets_a_style_nonce(client: httpx.AsyncClient) -> None:
    """ReDoc makes ``<style>`` elements: a nonce new on each response lets only those in."""
    first, second = (await client.get("/redoc"), await client.get("/redoc"))
    nonce = re.search(r"'nonce-([^']+)'", first.headers["content-security-policy"])
    assert nonce is not None
    assert f'data-nonce="{nonce.group(1)}"' in first.text
    assert nonce.group(1) not in second.headers["content-security-policy"]
    assert "nonce-" not in (await client.get("/docs")).headers["content-security-policy"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_a_page_speaks_one_language_throughout(
    client: httpx.AsyncClient, path: str, lang: str
) -> None:
    """Rendered in the browser's language, every section (hidden ones too) is in it."""
    r = await client.get(path, headers={"Accept-Language": f"{lang},en;q=0.5"})
    assert r.status_code == 200
    assert f'<html lang="{lang}"' in r.text
    assert f"/i18n/{lang}.json?v=" in r.text
    page = _read(r.text)
    text = "\n".join(page.words)
    stray = english_words(text) if lang == "fr" else french_words(text)
    assert stray == [], f"{path} ({lang}): {stray}"
    assert UNFILLED.findall(text) == [], path
    assert page.inline == [], f"{path}: {page.inline}"


async def test_lang_in_the_query_wins_and_the_switch_keeps_the_rest(
    client: httpx.AsyncClient,
) -> None:
    """?lang=en beats the browser's French; the switch goes back with the other parameters."""
    r = await client.get(
        "/dashboard?lang=en&area=departement:38", headers={"Accept-Language": "fr"}
    )
    assert '<html lang="en"' in r.text
    assert 'href="/dashboard?lang=fr&amp;area=departement%3A38"' in r.text
    default = await client.get("/app", headers={"Accept-Language": "de"})
    assert '<html lang="fr"' in default.text


def test_no_template_or_script_has_anything_the_policy_refuses() -> None:
    """No inline script or style, no ``on*=``, no style set as an attribute, no HTML from text."""
    for template in (HERE / "templates").glob("*.html"):
        source = re.sub(r"\{#.*?#\}", "", template.read_text(), flags=re.DOTALL)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), template.name
        assert "<style" not in source, template.name
        assert not re.search(r"\s(style|on[a-z]+)\s*=", source), template.name
    for script in (HERE / "static").glob("*.js"):
        source = script.read_text()
        assert not re.search(r"setAttribute\(\s*['\"]style", source), script.name
        for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function"):
            assert banned not in source, f"{script.name}: {banned}"


def test_the_pages_share_one_module_and_one_token_key() -> None:
    """One helper module; one localStorage key; no table of words left in a script."""
    static = Path(HERE / "static")
    for name in ("app.js", "driver.js", "dashboard.js", "label.js", "account.js", "reset.js"):
        source = (static / name).read_text()
        assert 'from "./hub.js"' in source, name
        assert "localStorage" not in source, name
        assert not re.search(r"\b(TEXT|API_TEXT|HUB_I18N)\b", source), name
    assert not (static / "i18n.js").exists() and not (static / "dom.js").exists()
    keys = set(re.findall(r'TOKEN_KEY = "([^"]+)"', (static / "hub.js").read_text()))
    assert keys == {"hub.token"}


@pytest.fixture
async def batch(hub: Any) -> dict[str, Any]:
    """A lab's batch of 12 face shields for a hospital's need, due in a week."""
    staff, maker = await hub.account("hospital_staff"), await hub.account("maker")
    hospital = await hub.site(staff, "hospitals", name="CHU <Grenoble>")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"])
    claim = await hub.claim(maker, need["id"], lab["id"], 12)
    return {"batch": claim, "maker": maker}


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_label_is_a_page_in_the_readers_language(
    client: httpx.AsyncClient, batch: dict[str, Any], lang: str
) -> None:
    """The label: the catalogue's words, the due date written out by Babel, the policy kept."""
    b, maker = batch["batch"], batch["maker"]
    r = await client.get(f"/api/v1/batches/{b['id']}/label?lang={lang}", headers=maker.headers)
    assert r.status_code == 200
    assert_strict_csp(r.headers, where="label")
    page = _read(r.text)
    text = "\n".join(page.words)
    assert page.inline == []
    assert b["code"] in text and "CHU <Grenoble>" in text
    due = date.fromisoformat(b["due"])
    assert b["due"] not in text, "an ISO date on the label"
    if lang == "fr":
        assert "Code de suivi" in text and "50 unités par carton" in text
        assert f"{due.day} " in text and str(due.year) in text
        assert english_words(text, allowed=("labs of test",)) == []
    else:
        assert "Tracking code" in text and "50 units per box" in text
        assert due.strftime("%B") in text
        assert french_words(text, allowed=("rue du Test",)) == []
    assert '<script type="module" src="/static/label.js">' in r.text
