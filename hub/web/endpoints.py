"""The hub's pages: Jinja2 templates on one layout, and one mount for their static files.

Each page is rendered in its reader's language (``?lang=``, else ``Accept-Language``, else
French): the templates' static text through ``_``/``ngettext``/``pgettext`` bound to that
language, the scripts' words from ``/i18n/LANG.json``, named on ``<html data-catalogue>``.
"""

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from designs import Design, diagram_path, load_catalogue
from hub.errors import NotFound
from hub.i18n import LANGS, Lang, _, catalogue_json, catalogue_version, page_language
from hub.i18n.catalogue import translations
from hub.web.security import content_security_policy

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
pages = APIRouter(include_in_schema=False)
# Pages change with each release and must not be served stale from a phone's cache; their
# language follows Accept-Language, which a cache must take into account.
NO_CACHE = {"Cache-Control": "no-cache", "Vary": "Accept-Language"}


def words(lang: Lang) -> dict[str, Any]:
    """The template functions that translate into ``lang``: ``_``, ``ngettext``, ``pgettext``."""
    t = translations(lang)
    return {"_": t.gettext, "ngettext": t.ngettext, "pgettext": t.pgettext, "lang": lang}


def page_context(request: Request, lang: Lang | None = None) -> dict[str, Any]:
    """What the base layout needs: the language, its words and catalogue, the switch link."""
    if lang is None:
        lang = page_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
    other: Lang = "en" if lang == "fr" else "fr"
    # The switch keeps the page's other parameters (the dashboard's area, the label's batch).
    query = {**request.query_params, "lang": other}
    chosen = request.query_params.get("lang") in LANGS
    return {
        **words(lang),
        # Links to the other pages keep a language chosen with the switch; otherwise they stay
        # plain, and the next page follows the browser's language as this one did.
        "lang_query": f"?lang={lang}" if chosen else "",
        "other_lang": other,
        "other_lang_url": f"{request.url.path}?{urlencode(query)}",
        "catalogue_url": f"/i18n/{lang}.json?v={catalogue_version()}",
    }


def render(
    request: Request,
    name: str,
    *,
    lang: Lang | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render template ``name`` in the page's language, never cached stale."""
    return templates.TemplateResponse(
        request,
        name,
        {**page_context(request, lang), **context},
        headers={**NO_CACHE, **(headers or {})},
    )


@pages.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    """The front door: where each kind of user goes."""
    return render(request, "index.html")


@pages.get("/app", response_class=HTMLResponse)
async def app_page(request: Request) -> HTMLResponse:
    """Hospital staff and makers: the page talks to the API with their token."""
    return render(request, "app.html")


@pages.get("/coordinate", response_class=HTMLResponse)
async def coordinate_page(request: Request) -> HTMLResponse:
    """The coordinators' page: sites to verify, the matcher's proposals, corrections."""
    return render(request, "coordinate.html")


@pages.get("/driver", response_class=HTMLResponse)
async def driver_page(request: Request) -> HTMLResponse:
    """The driver's page, for a phone."""
    return render(request, "driver.html")


@pages.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(request: Request) -> HTMLResponse:
    """The coordinator's live dashboard."""
    return render(request, "dashboard.html")


@pages.get("/account", response_class=HTMLResponse)
async def account_page(request: Request) -> HTMLResponse:
    """Change the password, see the open sessions, sign one or all of them out."""
    return render(request, "account.html")


@pages.get("/reset", response_class=HTMLResponse)
async def reset_page(request: Request) -> HTMLResponse:
    """Where a one-time link (``/reset#TOKEN``) sets a new password; or ask for such a link.

    The token is in the fragment, which browsers do not send: the page posts it to the API.
    """
    return render(request, "reset.html")


@pages.get("/label/{batch_id}", response_class=HTMLResponse)
async def label_page(request: Request, batch_id: int) -> HTMLResponse:
    """A batch's box label, ready to print: the page fetches it with the signed-in token.

    A real page at a real address, rather than a document made from a Blob: the maker can
    reload it, its style sheet and script load under the Content-Security-Policy, and the
    browser's print works as on any page.
    """
    return render(request, "label.html", batch_id=batch_id, label=None)


#: Babel's locale for each page language (British English writes dates day first).
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def _design_words(lang: Lang) -> dict[str, Any]:
    """Numbers and dates written the reader's way, for the catalogue's pages."""
    locale = LOCALES[lang]
    return {
        "num": lambda value: format_decimal(value, locale=locale),
        "long_date": lambda value: format_date(value, format="long", locale=locale),
        "name_of": lambda d: d.name_fr if lang == "fr" else d.name,
        "notes_of": lambda d: d.notes_fr if lang == "fr" else d.notes,
        "settings_of": lambda d: (
            d.production.settings_fr if lang == "fr" else d.production.settings
        ),
    }


def _design(slug: str) -> Design:
    catalogue = load_catalogue()
    if slug not in catalogue:
        raise NotFound(_("No design {slug} in the catalogue."), slug=repr(slug))
    return catalogue[slug]


@pages.get("/designs", response_class=HTMLResponse)
async def designs_page(request: Request) -> HTMLResponse:
    """The catalogue of validated designs: what to make, with what, and who validated it."""
    context = page_context(request)
    items = sorted(load_catalogue().values(), key=lambda d: (d.item, d.slug))
    return render(request, "designs.html", designs=items, **_design_words(context["lang"]))


@pages.get("/designs/{slug}", response_class=HTMLResponse)
async def design_page(request: Request, slug: str) -> HTMLResponse:
    """One design: its figures and their sources, validation, licence, safety and production
    notes (print, cutting or sewing), and its schematic diagram when it has one."""
    design = _design(slug)
    context = page_context(request)
    return render(request, "design.html", design=design, **_design_words(context["lang"]))


@pages.get("/designs/{slug}/diagram.svg")
async def design_diagram(slug: str) -> Response:
    """A design's schematic diagram (drawn for the hub, not a photo); 404 when it has none."""
    path = diagram_path(_design(slug))
    if path is None:
        raise NotFound(_("Design {slug} has no diagram."), slug=repr(slug))
    return Response(
        path.read_bytes(), media_type="image/svg+xml", headers={"Cache-Control": "no-cache"}
    )


@pages.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    """The API's interactive documentation (Swagger UI), served from the hub: no CDN."""
    return render(request, "docs.html", lang="en", openapi_url=request.app.openapi_url)


#: The two ``<style>`` elements ReDoc's bundled perfect-scrollbar makes without the nonce (its
#: scrollbar rules, and an empty one), allowed by their hashes. A new ReDoc with other rules shows
#: up as a console error in the docs' browser test.
REDOC_STYLE_HASHES = (
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc=' "
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
)


@pages.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    """The API's reference (ReDoc), served from the hub: no CDN.

    ReDoc styles itself with ``<style>`` elements it makes at run time; a nonce, new on each
    response and given to ReDoc, lets those through the policy, and nothing else inline.
    """
    nonce = secrets.token_urlsafe(16)
    policy = content_security_policy(
        style_src=f"'nonce-{nonce}' {REDOC_STYLE_HASHES}",
        # Its search index runs in a worker it makes from a Blob of its own code.
        worker_src="'self' blob:",
    )
    return render(
        request,
        "redoc.html",
        lang="en",
        openapi_url=request.app.openapi_url,
        nonce=nonce,
        headers={"Content-Security-Policy": policy},
    )


@pages.get("/i18n/{lang}.json")
async def catalogue(lang: str) -> Response:
    """The catalogue of words for the pages, generated from the ``.po`` files.

    Pages ask for ``/i18n/LANG.json?v=VERSION``; the version changes with the catalogue, so
    the answer may be cached for good.
    """
    if lang not in LANGS:
        raise NotFound(_("There is no catalogue for {lang}."), lang=lang)
    return Response(
        catalogue_json(lang),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


class StaticFilesNoStale(StaticFiles):
    """Static files a browser must check before reuse (a cheap 304 when unchanged).

    Script and style names carry no version, so without this a phone could run last week's
    script against this week's page.
    """

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        """The file, marked ``no-cache``."""
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


def static_files() -> StaticFilesNoStale:
    """The one static mount: the pages' files, then Swagger UI's and ReDoc's (fastapi-offline)."""
    return StaticFilesNoStale(directory=HERE / "static", packages=[("fastapi_offline", "static")])


def include_pages(app: FastAPI) -> None:
    """Add the pages, the API's documentation and the one static mount (``/static``)."""
    app.include_router(pages)
    app.mount("/static", static_files(), name="static")
