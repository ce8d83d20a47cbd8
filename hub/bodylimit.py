"""The door every HTTP request goes through before the application reads it.

It refuses, with a 422 in the hub's one error shape (``{type, detail, errors}``, in the
reader's language), what no handler should ever see:

- bodies larger than the limit, whether declared or streamed (``HUB_MAX_BODY_BYTES``);
- JSON bodies that are not UTF-8, not JSON, or nested deeper than :data:`MAX_DEPTH`
  (FastAPI answered 400 or crashed on those);
- control characters (``hub.validation.CONTROLS``) in any string of a JSON body, keys
  included, in any query parameter and in the path: PostgreSQL cannot store a NUL and
  answered 500, SQLite stored it; now both answer the same 422, whatever field a new schema
  adds.

Request bodies of paths under the ``larger`` prefixes are raw files (spreadsheets), not JSON.
"""

import email.message
import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.i18n import Lang, _, language, render
from hub.i18n.markers import Message as Words
from hub.validation import control_character

#: Deepest nesting of arrays and objects a body may have (the hub's deepest is 3).
MAX_DEPTH = 32

#: The messages of this door, marked for the catalogue.
TOO_LARGE = _("The request body is larger than {limit} bytes.")
NOT_UTF8 = _("The body is not valid UTF-8 text.")
NOT_JSON = _("the body is not valid JSON")
TOO_DEEP = _("The body is nested more than {depth} levels deep.")
CONTROL = _("must not contain control characters ({code})")


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        # FastAPI reads a body without a content type as JSON.
        return True
    parsed = email.message.Message()
    parsed["content-type"] = content_type
    subtype = parsed.get_content_subtype()
    return parsed.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _field(path: list[str | int]) -> str:
    return ".".join(str(p) for p in path) or "body"


def check_json(value: Any) -> tuple[Words, dict[str, Any], str] | None:
    """The first problem of a parsed JSON body: (message, values, field), or None.

    Walks without recursion, so that depth is counted, not suffered.
    """
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return TOO_DEEP, {"depth": MAX_DEPTH}, "body"
        if isinstance(item, str):
            code = control_character(item)
            if code is not None:
                return CONTROL, {"code": code}, _field(path)
        elif isinstance(item, dict):
            for key, child in item.items():
                code = control_character(key)
                if code is not None:
                    return CONTROL, {"code": code}, _field(path)
                stack.append((child, [*path, key]))
        elif isinstance(item, list):
            stack.extend((child, [*path, i]) for i, child in enumerate(item))
    return None


def check_query(query: bytes) -> tuple[Words, dict[str, Any], str] | None:
    """The first query parameter holding a control character: (message, values, name)."""
    # Decoded as Starlette does (bytes that are not UTF-8 become U+FFFD).
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        for text in (name, value):
            code = control_character(text)
            if code is not None:
                return CONTROL, {"code": code}, name if control_character(name) is None else "query"
    return None


def error_body(lang: Lang, message: Words, values: dict[str, Any], field: str | None) -> bytes:
    """The hub's 422 error shape, as sent by the validation handler of ``hub.main``."""
    text = render(message, values, lang)
    if field is None:
        return json.dumps({"type": "invalid", "detail": text}).encode()
    detail = f"{field}: {text}" if field != "body" else text
    errors = [{"field": field, "message": text}]
    return json.dumps({"type": "invalid", "detail": detail, "errors": errors}).encode()


class BodyLimitMiddleware:
    """Answer 422 to oversized, unreadable or control-character-laden requests.

    ``larger`` raises the limit for paths starting with a prefix (spreadsheet uploads), whose
    bodies are files, not JSON.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    def _limit(self, path: str) -> tuple[int, bool]:
        for prefix, limit in self.larger.items():
            if path.startswith(prefix):
                return limit, False
        return self.max_bytes, True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the whole body (up to the limit) first, check it, then replay it to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        lang = language(headers.get(b"accept-language", b"").decode("latin-1"))
        limit, json_path = self._limit(scope.get("path", ""))
        problem = check_query(scope.get("query_string", b""))
        if problem is None and control_character(scope.get("path", "")) is not None:
            problem = CONTROL, {"code": control_character(scope["path"])}, "path"
        if problem is not None:
            await self._refuse(send, error_body(lang, *problem))
            return
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, error_body(lang, TOO_LARGE, {"limit": limit}, None))
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
                await self._refuse(send, error_body(lang, TOO_LARGE, {"limit": limit}, None))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type")
        if body and json_path and _is_json(content_type and content_type.decode("latin-1")):
            refusal = self._check_body(body, lang)
            if refusal is not None:
                await self._refuse(send, refusal)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _check_body(body: bytes, lang: Lang) -> bytes | None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return error_body(lang, NOT_UTF8, {}, "body")
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            # ValueError: not JSON, or a number too long to read; RecursionError: deeper
            # than Python's own stack allows.
            return error_body(lang, NOT_JSON, {}, "body")
        problem = check_json(value)
        return None if problem is None else error_body(lang, *problem)

    @staticmethod
    async def _refuse(send: Send, body: bytes) -> None:
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
