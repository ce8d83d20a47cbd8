"""Serve the front door and the hospital staff and makers' page at ``/app`` (no build step)."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

pages = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"


@pages.get("/", response_class=HTMLResponse)
async def home() -> HTMLResponse:
    """The front door: where each kind of user goes."""
    return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))


@pages.get("/app", response_class=HTMLResponse)
async def app_page() -> HTMLResponse:
    """The page itself: it signs in and talks to the API with the user's token."""
    return HTMLResponse(
        (STATIC / "app.html").read_text(encoding="utf-8"),
        headers={"Cache-Control": "no-cache"},
    )


@pages.get("/app/app.js")
async def app_script() -> FileResponse:
    """The page's script."""
    return FileResponse(
        STATIC / "app.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"}
    )


@pages.get("/app/dom.js")
async def dom_script() -> FileResponse:
    """The DOM helper the pages share (``/app`` and ``/driver``)."""
    return FileResponse(
        STATIC / "dom.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"}
    )


@pages.get("/app/app.css")
async def app_style() -> FileResponse:
    """The page's style sheet."""
    return FileResponse(
        STATIC / "app.css", media_type="text/css", headers={"Cache-Control": "no-cache"}
    )
