"""The messages of ``/ws/live``: built from event rows, serialised once, shared by clients.

Aggregates (totals, designs, quantities, département codes, anonymous points) are public.
Names and contact details go only into the coordinator variant of a message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.events.models import Event
from hub.events.privacy import public_payload
from hub.geo.areas import Area, AreaCodes, parse_area
from hub.rules.totals import Totals

#: Fields of a site's contact, shown only to those the REST API would show them to.
CONTACT_FIELDS = ("contact_name", "contact_phone")
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
    """One event, ready to send: its id, where it happened, its public variant, and per
    subscription key the variant for coordinators of that area."""

    event_id: int
    keys: tuple[str, ...]
    public: str
    detailed: Mapping[str, str]

    def for_subscriber(self, key: str, detailed: bool) -> str:
        """The variant a subscriber of ``key`` gets (``detailed``: a coordinator of it)."""
        return self.detailed.get(key, self.public) if detailed else self.public


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
        "data": {k: v for k, v in public_payload(payload).items() if k != "totals_delta"},
        "totals_delta": payload.get("totals_delta", {}),
    }


def _names_for(names: dict[str, Any], area: Area) -> dict[str, Any]:
    """Site names for coordinators of ``area``: contacts only of the sites inside it."""
    out = {}
    for role, site in names.items():
        inside = area.contains(AreaCodes(site["region"], site["departement"]))
        shown = {k: v for k, v in site.items() if k not in ("region", "departement")}
        if not inside or not site["region"]:
            shown = {k: v for k, v in shown.items() if k not in CONTACT_FIELDS}
        out[role] = shown
    return out


def event_message(event: Event, names: dict[str, Any] | None) -> EventMessage:
    """Build the variants of an event message, each serialised once per subscription key."""
    body = event_body(event)
    public = dumps(body)
    keys = area_keys(event.region, event.departement)
    detailed = {}
    if names:
        for key in keys:
            detailed[key] = dumps({**body, "names": _names_for(names, parse_area(key))})
    return EventMessage(event.id, keys, public, detailed)


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
