"""``/ws/live``: a snapshot (or a replay from ``since``), then one message per event.

The client is subscribed *before* the snapshot is read, and live events it already got from
the snapshot or the replay are skipped by id, so nothing is lost or sent twice in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from dashboards.broadcaster import (
    DISCONNECTED_ID,
    HEARTBEAT_ID,
    Broadcaster,
    NotCaughtUp,
    Subscriber,
)
from dashboards.details import load_names
from dashboards.live import LiveStream
from dashboards.protocol import (
    CLOSE_BAD_REQUEST,
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHENTICATED,
    CLOSE_UNAVAILABLE,
    event_message,
    resumed_message,
)
from hub.access import covers_area
from hub.auth.models import User
from hub.auth.service import account_for_token
from hub.bodylimit import check_query
from hub.errors import HubError
from hub.events.service import list_events
from hub.geo.areas import Area, parse_area
from hub.i18n import render

log = logging.getLogger("hub.live")
router = APIRouter(tags=["live"])
# A stalled peer must not keep a dropped connection's handler alive for long.
CLOSE_TIMEOUT_SECONDS = 2.0
BEARER_SUBPROTOCOL = "hub.bearer"


def _token(websocket: WebSocket) -> str | None:
    # Browsers cannot set headers on a WebSocket. They can offer subprotocols, which keeps
    # the token out of URLs and access logs: ``new WebSocket(url, ["hub.bearer", token])``.
    offered = list(websocket.scope.get("subprotocols") or [])
    if BEARER_SUBPROTOCOL in offered:
        rest = offered[offered.index(BEARER_SUBPROTOCOL) + 1 :]
        return rest[0] if rest else None
    # Never from the query string: URLs end up in access logs and browser history.
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def _user(websocket: WebSocket, raw: str | None) -> User | None:
    if raw is None:
        return None
    user, _use = await account_for_token(websocket.app.state.db, raw)
    return user


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
            await websocket.close(code=code, reason=reason)


async def _opening(
    websocket: WebSocket, broadcaster: Broadcaster, area: Area, since: int | None, sub: Subscriber
) -> None:
    """Send the snapshot, or the replay from ``since``; set ``sub.sent`` to what they cover.

    Both stand where the broadcaster stands once caught up (``head``): it has delivered every
    event up to there, and ``sub`` (subscribed before) gets every later one from its queue.
    """
    settings = websocket.app.state.settings
    replay: list[str] = []
    snapshot: str | None = None
    head = await broadcaster.fresh()
    if since is not None and since <= head and head - since <= settings.live_replay_limit:
        async with websocket.app.state.db.background_sessions() as session:
            rows = await list_events(
                session,
                since=since,
                limit=settings.live_replay_limit,
                area=area,
                until=head,
            )
            names = await load_names(session, rows) if sub.detailed and rows else {}
        for row in rows:
            message = event_message(row, names.get(row.id))
            replay.append(message.for_subscriber(sub.key, sub.detailed))
    else:
        # Computed once per area and head, shared by every client connecting meanwhile.
        snapshot = await broadcaster.snapshots.message(area, head, detailed=sub.detailed)
    if snapshot is not None:
        await websocket.send_text(snapshot)
    else:
        for text in replay:
            await websocket.send_text(text)
        await websocket.send_text(resumed_message(area, since or 0, head, detailed=sub.detailed))
    sub.sent = head


async def _forward(websocket: WebSocket, sub: Subscriber) -> None:
    """Send queued messages in order, skipping events the opening already covered.

    Returns when the client has gone; closes with 4008 when the client fell too far behind.
    """
    queue = sub.queue
    while not sub.dropped:
        event_id, text = await queue.get()
        if event_id == DISCONNECTED_ID or sub.dropped:
            break
        if event_id == HEARTBEAT_ID:
            await websocket.send_text(text)
        elif event_id > sub.sent:
            await websocket.send_text(text)
            sub.sent = event_id
    if sub.dropped:
        await _close(websocket, CLOSE_TOO_SLOW, f"too slow, reconnect with since={sub.sent}")


async def _until_disconnect(websocket: WebSocket, sub: Subscriber) -> None:
    """Read (and ignore) what the client sends; when it goes, wake the sender."""
    with contextlib.suppress(WebSocketDisconnect):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    with contextlib.suppress(asyncio.QueueFull):
        # A full queue means the sender is blocked in a send, which fails on its own now.
        sub.queue.put_nowait((DISCONNECTED_ID, ""))


def _parse(websocket: WebSocket) -> tuple[Area, int | None]:
    # The rule of every HTTP query (hub.bodylimit): a control character is refused, not
    # stripped on the way (an area "region:84\x85" answered for région 84).
    problem = check_query(websocket.scope.get("query_string", b""))
    if problem is not None:
        message, values, name = problem
        raise ValueError(f"{name}: {render(message, values, 'en')}")
    area = parse_area(websocket.query_params.get("area") or "FR")
    raw_since = websocket.query_params.get("since")
    since = int(raw_since) if raw_since not in (None, "") else None
    if since is not None and since < 0:
        raise ValueError("since must be a non-negative event id")
    return area, since


@router.websocket("/ws/live")
async def live(websocket: WebSocket) -> None:
    """Stream the totals of an area: ``?area=FR|region:CODE|departement:CODE&since=ID``.

    A coordinator's token comes as the subprotocols ``hub.bearer, TOKEN`` (browsers) or an
    ``Authorization: Bearer`` header; never in the URL, which ends up in access logs.
    """
    offered = websocket.scope.get("subprotocols") or []
    await websocket.accept(
        subprotocol=BEARER_SUBPROTOCOL if BEARER_SUBPROTOCOL in offered else None
    )
    stream: LiveStream | None = getattr(websocket.app.state, "live", None)
    if stream is None:
        await _close(websocket, CLOSE_UNAVAILABLE, "live stream not running")
        return
    try:
        area, since = _parse(websocket)
    except ValueError as exc:
        await _close(websocket, CLOSE_BAD_REQUEST, str(exc)[:120])
        return
    try:
        user = await _user(websocket, _token(websocket))
    except HubError as exc:
        await _close(websocket, CLOSE_UNAUTHENTICATED, exc.detail[:120])
        return
    broadcaster = stream.broadcaster
    sub = broadcaster.subscribe(str(area), detailed=covers_area(user, area))
    # One extra task per client, to notice a disconnect; the handler itself is the sender.
    receiver: asyncio.Task[None] | None = None
    try:
        await _opening(websocket, broadcaster, area, since, sub)
        receiver = asyncio.create_task(_until_disconnect(websocket, sub))
        await _forward(websocket, sub)
    except NotCaughtUp:
        log.warning("live client turned away: the stream could not reach the log's head")
        await _close(websocket, CLOSE_UNAVAILABLE, "live stream catching up, reconnect")
    except (WebSocketDisconnect, RuntimeError, OSError) as exc:
        # A send to a vanished peer fails: that is how a disconnect often shows.
        log.debug("live client ended: %r", exc)
    finally:
        if receiver is not None:
            receiver.cancel()
        broadcaster.unsubscribe(sub)
