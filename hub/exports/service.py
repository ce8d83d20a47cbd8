"""Needs, labs and batches as CSV or GeoJSON, for coordinators and the command line."""

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.area_filter import area_condition
from hub.batches.models import Batch
from hub.geo.areas import Area
from hub.needs.models import Need
from hub.rules.states import SiteType
from hub.sites.models import Site

What = Literal["needs", "labs", "batches"]
Format = Literal["csv", "geojson"]


async def _labs(session: AsyncSession, area: Area | None) -> list[dict[str, Any]]:
    labs = await session.scalars(
        select(Site)
        .where(Site.type == SiteType.LAB, area_condition(area, Site.region, Site.departement))
        .order_by(Site.id)
    )
    return [
        {
            "id": s.id,
            "name": s.name,
            "kind": s.kind,
            "status": s.status,
            "address": s.address,
            "region": s.region,
            "departement": s.departement,
            "contact_name": s.contact_name,
            "contact_phone": s.contact_phone,
            "equipment": ";".join(s.equipment or []),
            "lat": s.lat,
            "lon": s.lon,
        }
        for s in labs.all()
    ]


async def _needs(session: AsyncSession, area: Area | None) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Need, Site)
        .join(Site, Site.id == Need.hospital_id)
        .where(area_condition(area, Need.region, Need.departement))
        .order_by(Need.id)
    )
    return [
        {
            "id": n.id,
            "hospital_id": s.id,
            "hospital": s.name,
            "design": n.design,
            "quantity": n.quantity,
            "needed_by": n.needed_by.isoformat(),
            "priority": n.priority,
            "status": n.status,
            "region": n.region,
            "departement": n.departement,
            "lat": s.lat,
            "lon": s.lon,
        }
        for n, s in rows.all()
    ]


async def _batches(session: AsyncSession, area: Area | None) -> list[dict[str, Any]]:
    lab = aliased(Site)
    rows = await session.execute(
        select(Batch, Need, lab)
        .join(Need, Need.id == Batch.need_id)
        .join(lab, lab.id == Batch.lab_id)
        .where(area_condition(area, Need.region, Need.departement))
        .order_by(Batch.id)
    )
    return [
        {
            "id": b.id,
            "code": b.code,
            "need_id": b.need_id,
            "hospital_id": n.hospital_id,
            "lab_id": b.lab_id,
            "lab": lb.name,
            "design": b.design,
            "state": b.state,
            "quantity": b.quantity,
            "made": b.made,
            "picked_up": b.picked_up,
            "delivered": b.delivered,
            "accepted": b.accepted,
            "rejected": b.rejected,
            "due": b.due.isoformat(),
            "region": n.region,
            "departement": n.departement,
            "lat": lb.lat,
            "lon": lb.lon,
        }
        for b, n, lb in rows.all()
    ]


READERS = {"labs": _labs, "needs": _needs, "batches": _batches}


async def export_rows(session: AsyncSession, what: What, area: Area | None) -> list[dict[str, Any]]:
    """Return flat rows (each with ``lat`` and ``lon``) for one kind of record."""
    return await READERS[what](session, area)


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """Render rows as CSV with a header line."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def to_geojson(rows: Sequence[dict[str, Any]]) -> str:
    """Render rows as a GeoJSON FeatureCollection of points."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {k: v for k, v in row.items() if k not in ("lat", "lon")},
        }
        for row in rows
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def render(rows: Sequence[dict[str, Any]], fmt: Format) -> str:
    """Render rows in the chosen format."""
    return to_csv(rows) if fmt == "csv" else to_geojson(rows)
