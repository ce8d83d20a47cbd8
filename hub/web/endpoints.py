"""The hub's pages: Jinja2 templates on one layout, and one mount for their static files."""

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from hub.errors import NotFound
from hub.i18n import LANGS, _, catalogue_json

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
pages = APIRouter(include_in_schema=False)
# Pages change with each release and must not be served stale from a phone's cache.
NO_CACHE = {"Cache-Control": "no-cache"}


def _page(request: Request, name: str) -> HTMLResponse:
    return templates.TemplateResponse(request, name, headers=NO_CACHE)


@pages.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    """The front door: where each kind of user goes."""
    return _page(request, "index.html")


@pages.get("/app", response_class=HTMLResponse)
async def app_page(request: Request) -> HTMLResponse:
    """Hospital staff, makers and coordinators: the page talks to the API with their token."""
    return _page(request, "app.html")


@pages.get("/driver", response_class=HTMLResponse)
async def driver_page(request: Request) -> HTMLResponse:
    """The driver's page, for a phone."""
    return _page(request, "driver.html")


@pages.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(request: Request) -> HTMLResponse:
    """The coordinator's live dashboard."""
    return _page(request, "dashboard.html")


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


def include_pages(app: FastAPI) -> None:
    """Add the pages and the one static mount (``/static``) to the app."""
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
