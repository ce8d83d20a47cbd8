"""The request id of the work in progress, read where events are appended and logs written.

A leaf module (imports nothing of the hub), so the event log can use it without a circle.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from typing import Any

#: The id of the request this task serves (None outside requests: the command line, the demo).
REQUEST_ID: ContextVar[str | None] = ContextVar("hub_request_id", default=None)
#: What a client may send as X-Request-ID and see reused: a proxy's or a load balancer's id,
#: a UUID; anything longer or with other characters (spaces, newlines that would forge log
#: lines, quotes) is replaced by a fresh id.
SANE = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
#: ``session.info`` key under which the event kinds a transaction appended are kept, counted
#: in the metrics when it commits (``hub.ops.metrics``).
EVENT_KINDS = "hub_event_kinds"


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return REQUEST_ID.get()


def request_id_from(header: str | None) -> str:
    """The client's X-Request-ID when it is sane, else a new random id."""
    if header is not None and SANE.fullmatch(header):
        return header
    return uuid.uuid4().hex


def note_event(session: Any, kind: str) -> None:
    """Remember that ``session``'s transaction appended an event of ``kind``."""
    session.info.setdefault(EVENT_KINDS, []).append(kind)
