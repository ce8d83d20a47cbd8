"""Refuse request bodies over a size limit before the application reads them."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.errors import Invalid
from hub.i18n import Lang, _, language


class BodyLimitMiddleware:
    """Answer 422 to bodies larger than ``max_bytes``, whether declared or streamed.

    ``larger`` raises the limit for paths starting with a prefix (spreadsheet uploads).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    def _limit(self, path: str) -> int:
        for prefix, limit in self.larger.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the whole body (up to the limit) first, then replay it to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        lang = language(headers.get(b"accept-language", b"").decode("latin-1"))
        limit = self._limit(scope.get("path", ""))
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, lang, limit)
            return
        # Buffering is cheap at this size, and lets us answer before any handler starts.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(send, lang, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, lang: Lang, limit: int) -> None:
        error = Invalid(
            _("The request body is larger than {limit} bytes."),
            limit=limit,
        )
        body = json.dumps({"type": error.type, "detail": error.message(lang)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
