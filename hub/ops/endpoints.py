"""``/healthz`` (alive), ``/readyz`` (database up and migrated) and ``/metrics``."""

from __future__ import annotations

import hmac
import logging
from ipaddress import ip_address

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from hub.errors import Forbidden
from hub.i18n import _
from hub.limits.clients import client_address
from hub.notifications.service import Backlog, backlog
from hub.ops.health import schema_state
from hub.ops.metrics import render

log = logging.getLogger("hub.health")
router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (it answers; nothing else is checked)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers and is migrated to this code's head; else 503."""
    try:
        async with request.app.state.db.read_sessions() as session:
            await session.execute(text("SELECT 1"))
            state = await schema_state(session)
    except Exception:
        log.exception("readiness check failed")
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    if not state.current:
        log.error(
            "not ready: database at %s, code at %s", sorted(state.database), sorted(state.code)
        )
        return JSONResponse(
            {
                "status": "migrations not current",
                "database": sorted(state.database),
                "code": sorted(state.code),
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready"})


def may_read_metrics(request: Request) -> bool:
    """The scraper shows the metrics token, or asks from an allowed network, not via a proxy.

    A request relayed by a reverse proxy on the same machine comes from 127.0.0.1 whoever
    sent it: one carrying X-Forwarded-For or Forwarded only counts by network when the proxy
    is declared (HUB_TRUSTED_PROXIES) and the client it names is in an allowed network.
    """
    settings = request.app.state.settings
    token = settings.metrics_token
    scheme, _sep, given = request.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return True
    relayed = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    if relayed and not settings.trusted_networks():
        return False
    networks = settings.metrics_networks()
    try:
        address = ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in networks)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics (text format), for the operators' scraper only."""
    if not may_read_metrics(request):
        raise Forbidden(
            _(
                "The metrics are for the hub's operators: ask from an allowed network or with "
                "the metrics token."
            )
        )
    outbox: Backlog | None = None
    try:
        async with request.app.state.db.read_sessions() as session:
            outbox = await backlog(session)
    except Exception:  # the other readings still help while the database is away
        log.exception("could not read the notifications backlog")
    body, content_type = render(request.app, outbox)
    return Response(body, media_type=content_type)
