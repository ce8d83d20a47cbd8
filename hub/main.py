"""The application factory: routers, lifespan, and the one error handler."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dashboards.endpoints import include_dashboards
from dashboards.live import start_live, stop_live
from hub.auth.endpoints import router as auth_router
from hub.batches.endpoints import router as batches_router
from hub.bodylimit import BodyLimitMiddleware
from hub.catalogue.endpoints import router as designs_router
from hub.config import Settings, get_settings
from hub.db import Database
from hub.driver_routes.endpoints import router as routes_router
from hub.errors import HubError, Invalid
from hub.events.endpoints import router as events_router
from hub.exports.endpoints import router as exports_router
from hub.i18n import Lang, _, language, render
from hub.i18n.validation import validation_message
from hub.imports.endpoints import router as imports_router
from hub.limits.limiter import Limiter, make_storage
from hub.matching_runs.endpoints import router as matching_router
from hub.needs.endpoints import router as needs_router
from hub.notifications.sender import start_sender, stop_sender
from hub.offers.endpoints import router as offers_router
from hub.openapi import install_openapi
from hub.ops.endpoints import router as operations_router
from hub.ops.middleware import RequestMiddleware
from hub.places.endpoints import router as places_router
from hub.registry.endpoints import router as registry_router
from hub.sites.endpoints import hospitals, invitations, labs
from hub.sites.endpoints import review as sites_review
from hub.stats.endpoints import router as stats_router
from hub.web.endpoints import include_pages
from hub.web.security import SecurityHeaders

log = logging.getLogger("hub")
#: Starlette's own errors, in words a person reads (its English otherwise).
HTTP_MESSAGES = {
    404: _("There is nothing at this address."),
    405: _("This address does not accept this method."),
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _caused_by_bad_value(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OverflowError) or type(seen).__name__ == "DataError":
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
    return False


def _lang(request: Request) -> Lang:
    return language(request.headers.get("accept-language"))


def install_error_handlers(app: FastAPI) -> None:
    """Map the error hierarchy, validation errors and crashes to JSON errors.

    Messages are in French when the client prefers it (``Accept-Language``), else English.
    """

    @app.exception_handler(HubError)
    async def hub_error(request: Request, exc: HubError) -> JSONResponse:
        return JSONResponse(
            {"type": exc.type, "detail": exc.message(_lang(request))},
            status_code=exc.status,
            headers=exc.headers or None,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = _lang(request)
        errors = [
            {"field": _field(tuple(e.get("loc", ()))), "message": validation_message(e, lang)}
            for e in exc.errors()
        ]
        detail = "; ".join(
            e["message"] if raw.get("type") == "json_invalid" else f"{e['field']}: {e['message']}"
            for raw, e in zip(exc.errors(), errors, strict=True)
        )
        return JSONResponse({"type": "invalid", "detail": detail, "errors": errors}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's "error parsing the body": the door (hub.bodylimit) refuses unreadable
            # JSON first, and the hub answers bad input with 422 only, whatever slips by.
            return await hub_error(request, Invalid(_("The request body could not be read.")))
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        message = HTTP_MESSAGES.get(exc.status_code)
        detail = render(message, {}, _lang(request)) if message else exc.detail
        return JSONResponse(
            {"type": kind, "detail": detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(DBAPIError)
    async def out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # Ids and counts beyond what the database stores (64 bits) are bad input, not a crash;
        # SQLite raises OverflowError, asyncpg a DataError wrapped by SQLAlchemy.
        if isinstance(exc, OverflowError) or _caused_by_bad_value(exc):
            error = Invalid(
                _("A number in the request is out of range."),
            )
            return await hub_error(request, error)
        return await crash(request, exc)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        # The trace goes to the log, never to the client.
        log.exception("unhandled error", exc_info=exc)
        error = HubError(
            _("Something went wrong on our side; try again."),
        )
        return JSONResponse(
            {"type": "internal", "detail": error.message(_lang(request))}, status_code=500
        )


#: Every v1 endpoint, by domain; each is included under ``/api/v1``. Busiest first: FastAPI
#: tries a request against every route of each router in turn until one matches, so
#: ``GET /api/v1/stats`` in tenth place cost 3.2 million instructions and in first 2.4
#: (callgrind, issue 13). The order changes no answer: no request matches routes of two
#: routers (tests/hub/test_route_order.py).
API_ROUTERS = (
    stats_router,
    needs_router,
    batches_router,
    events_router,
    auth_router,
    hospitals,
    labs,
    invitations,
    sites_review,
    offers_router,
    designs_router,
    exports_router,
    imports_router,
    routes_router,
    matching_router,
    places_router,
    registry_router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the hub application."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start_live(app)
        start_sender(app)  # only with HUB_SMTP_HOST: otherwise mails wait in the outbox
        yield
        await stop_sender(app)
        await stop_live(app)
        await app.state.limiter.close()
        await app.state.db.dispose()

    app = FastAPI(
        title="The hub",
        version="1.0",
        description="Coordination of distributed emergency production: needs, labs, batches, "
        "routes and live totals.",
        lifespan=lifespan,
        # /docs and /redoc are the hub's own pages (hub.web): no CDN, no inline script.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = Database.from_settings(settings)
    app.state.limiter = Limiter(make_storage(settings, app.state.db), settings)
    app.state.sender = None
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger={"/api/v1/imports/": settings.import_max_bytes},
    )
    app.add_middleware(SecurityHeaders)
    # Outermost (added last): every request gets its id, its metrics and its log line.
    app.add_middleware(RequestMiddleware)
    install_error_handlers(app)
    install_openapi(app)
    # Each domain's router straight into the app, not through one /api/v1 router: FastAPI
    # matches a path against every route of every level, and again when it dispatches: one
    # level less saves about 1,500 of the 8,000 to 16,000 Python calls of a day-shaped
    # request (cProfile, issue 13).
    for router in API_ROUTERS:
        app.include_router(router, prefix="/api/v1")
    include_pages(app)
    include_dashboards(app)
    app.include_router(operations_router)

    return app
