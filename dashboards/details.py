"""Names and contacts of the sites an event is about: the coordinator variant only.

Each site carries its area codes so that its contact goes only to coordinators whose
subscription covers the site itself (``dashboards.protocol.event_message``), as the REST API
would answer them (``hub.access.can_see_contact``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.events.models import Event
from hub.needs.models import Need
from hub.sites.models import Site

SITE_ENTITIES = ("hospital", "lab")


def _site(site: Site | None) -> dict[str, Any] | None:
    if site is None:
        return None
    return {
        "id": site.id,
        "name": site.name,
        "contact_name": site.contact_name,
        "contact_phone": site.contact_phone,
        "region": site.region,
        "departement": site.departement,
    }


async def load_names(session: AsyncSession, events: Sequence[Event]) -> dict[int, dict[str, Any]]:
    """Return event id -> ``{hospital, lab, site}`` names, in two queries for all events."""
    need_ids: set[int] = set()
    site_ids: set[int] = set()
    for event in events:
        payload = event.payload or {}
        if event.entity in SITE_ENTITIES and event.entity_id is not None:
            site_ids.add(event.entity_id)
        for key in ("hospital_id", "lab_id"):
            if isinstance(payload.get(key), int):
                site_ids.add(payload[key])
        if isinstance(payload.get("need_id"), int):
            need_ids.add(payload["need_id"])
    hospital_of: dict[int, int] = {}
    if need_ids:
        rows = await session.execute(select(Need.id, Need.hospital_id).where(Need.id.in_(need_ids)))
        hospital_of = {need_id: hospital_id for need_id, hospital_id in rows.all()}
        site_ids.update(hospital_of.values())
    sites: dict[int, Site] = {}
    if site_ids:
        sites = {
            s.id: s for s in (await session.scalars(select(Site).where(Site.id.in_(site_ids))))
        }
    out: dict[int, dict[str, Any]] = {}
    for event in events:
        payload = event.payload or {}
        names: dict[str, Any] = {}
        if event.entity in SITE_ENTITIES and event.entity_id is not None:
            names["site"] = _site(sites.get(event.entity_id))
        hospital_id = payload.get("hospital_id") or hospital_of.get(payload.get("need_id", -1))
        if hospital_id is not None and event.entity != "hospital":
            names["hospital"] = _site(sites.get(hospital_id))
        if payload.get("lab_id") is not None and event.entity != "lab":
            names["lab"] = _site(sites.get(payload["lab_id"]))
        names = {k: v for k, v in names.items() if v is not None}
        if names:
            out[event.id] = names
    return out
