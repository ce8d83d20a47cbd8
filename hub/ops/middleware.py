"""One ASGI middleware for every request: its id, its metrics, its log line."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.ops.context import REQUEST_ID, request_id_from
from hub.ops.metrics import IN_PROGRESS, LATENCY, REQUESTS

access_log = logging.getLogger("hub.access")


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/api/v1/needs/{need_id}``), never the path.

    Paths would make one time series per id; requests no route matched share ``unmatched``.
    Routes of an included router may know their template without the router's prefix
    (``/needs/{need_id}``, FastAPI 0.16x): the prefix is then the part of the path before
    what the route's pattern matches (prefixes here hold no parameter).
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not template:
        return "unmatched"
    pattern = getattr(route, "path_regex", None)
    path = scope.get("path", "")
    if pattern is not None and not pattern.match(path):
        for i in range(1, len(path)):
            if path[i] == "/" and pattern.match(path[i:]):
                return str(path[:i]) + str(template)
    return str(template)


class RequestMiddleware:
    """Give each request an id (X-Request-ID, echoed), count and time it, log it as JSON.

    The id is the client's X-Request-ID when sane (``hub.ops.context``), else a new
    one; it is in a context variable while the request is served, so the log lines and the
    events the request writes carry it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request (or websocket) with its id set."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get("x-request-id"))
        token = REQUEST_ID.set(request_id)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, request_id)
        finally:
            REQUEST_ID.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            IN_PROGRESS.dec()
            duration = time.perf_counter() - start
            method = scope["method"]
            route = route_template(scope)
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(duration)
            access_log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "method": method,
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration": round(duration, 6),
                    "request_id": request_id,
                },
            )
