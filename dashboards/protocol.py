"""The messages of ``/ws/live``: built from event rows, serialised once, shared by clients.

Aggregates (totals, designs, quantities, département codes, anonymous points) are public.
Names and contact details go only into the coordinator variant of a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.events.models import Event
from hub.events.privacy import PUBLIC_FIELDS
from hub.geo.areas import Area
from hub.rules.totals import Totals

# Close codes in the private range (4000-4999) so that clients can tell them apart.
CLOSE_TOO_SLOW = 4008
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_UNAVAILABLE = 1013


def dumps(message: dict[str, Any]) -> str:
    """Serialise a message compactly (ASCII-only, so encoding it per client is a copy)."""
    return json.dumps(message, separators=(",", ":"), default=str)


def area_keys(region: str | None, departement: str | None) -> tuple[str, ...]:
    """Return the subscription keys an event of this place is delivered to."""
    keys = ["FR"]
    if region:
        keys.append(f"region:{region}")
    if departement:
        keys.append(f"departement:{departement}")
    return tuple(keys)


@dataclass(frozen=True)
class EventMessage:
    """One event, ready to send: its id, where it happened, and both serialised variants."""

    event_id: int
    keys: tuple[str, ...]
    public: str
    detailed: str


def event_body(event: Event) -> dict[str, Any]:
    """Return the public ``event`` message of an event row."""
    payload = dict(event.payload or {})
    return {
        "type": "event",
        "event_id": event.id,
        "at": event.at.isoformat() if event.at else None,
        "kind": event.kind,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "region": event.region,
        "departement": event.departement,
        "data": {k: v for k, v in payload.items() if k in PUBLIC_FIELDS},
        "totals_delta": payload.get("totals_delta", {}),
    }


def event_message(event: Event, names: dict[str, Any] | None) -> EventMessage:
    """Build both variants of an event message, each serialised exactly once."""
    body = event_body(event)
    public = dumps(body)
    if names:
        body["names"] = names
        detailed = dumps(body)
    else:
        detailed = public
    return EventMessage(event.id, area_keys(event.region, event.departement), public, detailed)


def snapshot_message(area: Area, event_id: int, totals: Totals, *, detailed: bool) -> str:
    """Return the ``snapshot`` message: totals of the area as of ``event_id``."""
    return dumps(
        {
            "type": "snapshot",
            "area": str(area),
            "event_id": event_id,
            "totals": totals,
            "detailed": detailed,
        }
    )


def resumed_message(area: Area, since: int, event_id: int, *, detailed: bool) -> str:
    """Return the ``resumed`` message that ends a replay from ``since``."""
    return dumps(
        {
            "type": "resumed",
            "area": str(area),
            "since": since,
            "event_id": event_id,
            "detailed": detailed,
        }
    )


def heartbeat_message() -> str:
    """Return a ``heartbeat``: keeps proxies from closing an idle connection."""
    return dumps({"type": "heartbeat"})
