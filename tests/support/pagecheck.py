"""Checks every page test makes: the reader's language only, accessibility, headers, pictures.

- :func:`english_words` / :func:`assert_one_language`: no English word left on a French page (nor
  French on an English one), and no ``{field}`` left unfilled, in what a reader sees: the text,
  the ``title``, ``aria-label``, ``placeholder`` and ``alt`` attributes, options, SVG titles.
- :func:`assert_accessible`: axe-core finds no violation of serious or critical impact. axe-core
  comes from the npm registry (``npm pack``), kept in a cache folder outside the repository.
- :func:`assert_strict_csp`: the Content-Security-Policy and the other security headers.
- :func:`screenshot`: a picture of the page at phone size, to look at.
"""

import contextlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: A small phone (the pages are tested at this size).
PHONE = {"width": 360, "height": 740}

#: Where the screenshots go, to be looked at (outside the repository).
SHOTS = Path(os.environ.get("HUB_SHOTS", Path(tempfile.gettempdir()) / "hub-shots"))

#: axe-core's version: pinned, so that a new rule does not fail CI on a day nothing changed.
AXE_VERSION = "4.10.3"
AXE_DIR = Path(tempfile.gettempdir()) / f"hub-axe-core-{AXE_VERSION}"

#: Words of the pages' English that never appear in their French (French words such as "site",
#: "route", "design", "stock", "contact", "minute" or "normal" are left out on purpose).
ENGLISH = re.compile(
    r"\b(the|and|of|to|your|you|my|with|from|for|by|is|are|not|no|this|that|sign|signed|need|"
    r"needs|batch|batches|unit|units|save|saved|refresh|create|post|posted|claim|claimed|ready|"
    r"made|delivered|received|pickup|delivery|driver|drivers|hospital|hospitals|lab|labs|day|"
    r"per|quantity|name|password|new|open|live|more|since|unmet|print|label|tracking|server|"
    r"connection|offline|again|try|wait|rejected|accepted|cancel|cancelled|confirm|done|back|"
    r"given|verify|verified|awaiting|pending|kind|area|home|found|allowed|session|ended|answer|"
    r"check|dashboard|counters|bottlenecks|map|feed|requested|progress|capacity|equipment|"
    r"address|priority|critical|high|nothing|report|loading|skip|content|language|account|"
    r"arrival|hours|call|navigate|directions|carried|plan|planning|available|optional|remove|"
    r"decline|accept|correct|reason|number|actually|share|among|run|matcher|left|without|"
    r"second|seconds|offer|offers|proposed|settings|error|wrong|credentials|attempts)\b",
    re.IGNORECASE,
)
#: Words of the pages' French that never appear in their English.
FRENCH = re.compile(
    r"\b(le|la|les|des|du|une|pour|avec|votre|vos|mes|mon|aucun|aucune|connexion|besoins?|"
    r"lots?|ateliers?|tournée|chauffeurs?|établissements?|unités?|fabriqués?|livrés?|reçu|"
    r"enregistrer|actualiser|déconnexion|créer|publier|quantité|prêts?|étiquette|jour)\b",
    re.IGNORECASE,
)
#: A ``{field}`` of a message that was never filled.
UNFILLED = re.compile(r"\{\w+\}")
EMAIL = re.compile(r"\S+@\S+")

#: What a reader sees on a page, as one text (hidden parts excluded, as a reader does).
_VISIBLE_TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  const visible = (el) => !el.closest("[hidden]") && el.getClientRects().length > 0;
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder], [alt]")) {
    if (!visible(el) && el.tagName.toLowerCase() !== "svg") continue;
    for (const name of ["title", "aria-label", "placeholder", "alt"]) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  }
  for (const el of document.querySelectorAll("option, svg title")) parts.push(el.textContent);
  return parts.join("\\n");
}"""


def english_words(text: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """English words in ``text`` (a French page's), after taking out e-mails and ``allowed``."""
    text = EMAIL.sub(" ", text)
    for value in allowed:
        text = text.replace(value, " ")
    return ENGLISH.findall(text)


def french_words(text: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """French words in ``text`` (an English page's), after taking out e-mails and ``allowed``."""
    text = EMAIL.sub(" ", text)
    for value in allowed:
        text = text.replace(value, " ")
    return FRENCH.findall(text)


def visible_text(page: "Page") -> str:
    """Everything a reader of ``page`` sees as words, attributes and options included."""
    return str(page.evaluate(_VISIBLE_TEXT))


def assert_one_language(page: "Page", *, allowed: tuple[str, ...] = (), where: str = "") -> None:
    """The page speaks only its own language (``<html lang>``), with every field filled.

    ``allowed`` lists user-typed values (names, addresses) to leave out of the check.
    """
    lang = page.locator("html").get_attribute("lang")
    text = visible_text(page)
    stray = (english_words if lang == "fr" else french_words)(text, allowed=allowed)
    assert stray == [], f"{where or page.url} ({lang}): stray words {stray} in:\n{text}"
    assert UNFILLED.findall(text) == [], f"{where or page.url}: unfilled fields in:\n{text}"


def _required() -> bool:
    # CI sets this: there, a check that cannot run is a failure, not a skip.
    return os.environ.get("HUB_REQUIRE_POSTGRES") == "1"


def _fetch_axe(npm: str) -> str:
    """``npm pack`` axe-core into a staging folder, then move it in place in one rename, so
    that test workers running at once never see half a package. Returns what went wrong."""
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=AXE_DIR))
    try:
        done = subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(staging)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=staging,
        )
        tarballs = sorted(staging.glob("axe-core-*.tgz"))
        if done.returncode != 0 or not tarballs:
            return f"npm pack axe-core failed: {done.stderr[-500:]}"
        with tarfile.open(tarballs[-1]) as tar:
            tar.extractall(staging, filter="data")
        with contextlib.suppress(OSError):  # another worker moved its copy in first
            os.rename(staging / "package", AXE_DIR / "package")
        return ""
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def axe_source() -> str:
    """axe-core's script, fetched once with ``npm pack`` into a cache folder outside the repo.

    Fails when it cannot be had and ``HUB_REQUIRE_POSTGRES=1`` (CI); skips otherwise.
    """
    script = AXE_DIR / "package" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        problem = "npm is not installed" if npm is None else _fetch_axe(npm)
        if not script.exists():
            message = f"axe-core is needed for the accessibility checks: {problem}"
            if _required():
                pytest.fail(message)
            pytest.skip(message)
    return script.read_text(encoding="utf-8")


def assert_accessible(page: "Page", *, where: str = "", disable: tuple[str, ...] = ()) -> None:
    """axe-core finds no serious or critical violation on ``page`` as it is now.

    axe is evaluated through the browser's debugging protocol, which the page's
    Content-Security-Policy does not govern, so the page keeps its real policy meanwhile.
    ``disable`` turns rules off, for third-party pages only (say why where it is used).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    options: dict[str, Any] = {
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in disable},
    }
    result = page.evaluate("options => axe.run(document, options)", options)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{where or page.url}: accessibility violations:\n" + "\n".join(bad)


def screenshot(page: "Page", name: str, *, full_page: bool = True) -> Path:
    """Save a picture of ``page`` (all of it, or its first screen) as ``SHOTS/name.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    # From the top: the sticky header would otherwise be drawn where the page was scrolled.
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full_page)
    return path


def check_page(
    page: "Page",
    name: str,
    *,
    allowed: tuple[str, ...] = (),
    axe: bool = True,
) -> None:
    """The usual checks of a page in one state: its language, axe, no overflow, a picture."""
    where = f"{name} at {page.url}"
    screenshot(page, name)
    assert_one_language(page, allowed=allowed, where=where)
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is None or width <= viewport["width"], f"{where}: {width} px wide"
    if axe:
        assert_accessible(page, where=where)


#: What every response must carry, and what no policy may allow.
REQUIRED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "form-action": "'self'",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as ``{directive: [sources]}``."""
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_strict_csp(headers: Any, *, where: str = "") -> None:
    """The response has the hub's strict policy and the other security headers."""
    header = headers.get("content-security-policy")
    assert header, f"{where}: no Content-Security-Policy"
    directives = csp_directives(header)
    for name, sources in REQUIRED_CSP.items():
        got = directives.get(name)
        assert got is not None, f"{where}: no {name} in {header}"
        assert got[: len(sources.split())] == sources.split(), f"{where}: {name} is {got}"
        # Anything added must not open the door again.
        for source in got:
            assert source not in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"), (
                f"{where}: {name} allows {source}"
            )
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") in ("no-referrer", "same-origin"), where
    assert headers.get("x-frame-options") == "DENY", where
