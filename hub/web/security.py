"""Security headers on every response: a strict Content-Security-Policy and its companions.

The pages load nothing but the hub's own files (no inline script or style, no ``on*=``
attribute, no CDN), so the policy can forbid everything else: an injected ``<script>`` or
``style=`` does nothing, and no page can be framed by another site.
"""

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The policy of every response. ``connect-src 'self'`` also covers the dashboard's websocket
#: to the same host (CSP level 3 matches ``ws:``/``wss:`` of the page's own host and port).
CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "form-action": "'self'",
}

#: Sent with every response, pages or not.
HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    # Links out (OpenStreetMap directions) must not leak which batch or route was open.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def content_security_policy(**extra: str) -> str:
    """The hub's policy as a header value; ``extra`` adds sources (``style_src="'nonce-…'"``)."""
    directives = dict(CSP_DIRECTIVES)
    for name, sources in extra.items():
        key = name.replace("_", "-")
        directives[key] = f"{directives.get(key, '')} {sources}".strip()
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


CSP = content_security_policy()


class SecurityHeaders:
    """ASGI middleware adding :data:`CSP` and :data:`HEADERS` to every HTTP response.

    An endpoint that needs a different policy (ReDoc's style nonce) sets its own
    ``Content-Security-Policy`` header, which is kept. Websockets pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers to the response as it starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
