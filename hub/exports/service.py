"""What coordinators export: hospitals, labs, needs, batches and "who does what where" (3W).

Each reader returns a :class:`Sheet`: the columns of ``hub.exports.columns`` and one dict per
row, values typed (numbers, dates, lists), for the writers of ``hub.exports.writers``. Every
row's contact fields come from :func:`_contact`, the one place that decides who gets them.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from designs import load_catalogue
from hub.access import area_view, coarse
from hub.area_filter import area_condition, drafts_hidden
from hub.auth.models import User
from hub.batches.models import Batch
from hub.exports.columns import SHEETS, Column, Kind
from hub.geo.areas import Area, departement_names, region_names
from hub.i18n import Lang, _, render
from hub.needs.models import Need
from hub.offers.models import Offer
from hub.rules.states import COMMITTED, SiteType
from hub.sites.models import Site
from hub.validation import minutes_to_hhmm

#: The 3W "sector" of every lab of the hub (the health cluster, in OCHA's words).
SECTOR = _("Health: emergency production of medical supplies")


@dataclass(frozen=True)
class Sheet:
    """Rows of one kind, with their columns; each row maps column keys to typed values."""

    kind: Kind
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]


def _contact(site: Site, viewer: User | None) -> tuple[str | None, str | None]:
    """A site's (contact name, phone) for this viewer, or (None, None), by the hub's one rule
    (``hub.access.area_view``: only coordinators export, and they get their area's)."""
    if area_view(viewer, site).contact:
        return site.contact_name, site.contact_phone
    return None, None


def _place(site: Site, viewer: User | None) -> tuple[float, float]:
    """A site's (lat, lon) for this viewer: a home outside the viewer's area, to a kilometre."""
    if area_view(viewer, site).exact_place:
        return site.lat, site.lon
    return coarse(site.lat), coarse(site.lon)


def _site_row(site: Site, viewer: User | None) -> dict[str, Any]:
    name, phone = _contact(site, viewer)
    lat, lon = _place(site, viewer)
    exact = area_view(viewer, site).exact_place
    row: dict[str, Any] = {
        "id": site.id,
        "external_id": site.external_id,
        "name": site.name,
        "kind": site.kind,
        "status": site.status,
        "address": site.address if exact else None,
        "region": site.region,
        "departement": site.departement,
        "contact_name": name,
        "contact_phone": phone,
        "opens": minutes_to_hhmm(site.opens_min),
        "closes": minutes_to_hhmm(site.closes_min),
        "lat": lat,
        "lon": lon,
    }
    if site.type == SiteType.LAB:
        row["equipment"] = list(site.equipment or [])
    return row


async def _sites(
    session: AsyncSession, type: SiteType, area: Area | None, viewer: User | None
) -> list[dict[str, Any]]:
    sites = await session.scalars(
        select(Site)
        .where(Site.type == type, area_condition(area, Site.region, Site.departement))
        .order_by(Site.id)
    )
    return [_site_row(s, viewer) for s in sites.all()]


async def _needs(
    session: AsyncSession, area: Area | None, viewer: User | None
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Need, Site)
        .join(Site, Site.id == Need.hospital_id)
        .where(area_condition(area, Need.region, Need.departement))
        .order_by(Need.id)
    )
    return [
        {
            "id": n.id,
            "external_id": n.external_id,
            "hospital_id": s.id,
            "hospital_external_id": s.external_id,
            "hospital": s.name,
            "design": n.design,
            "accepts": [d for d in n.accepts or [] if d != n.design],
            "quantity": n.quantity,
            "needed_by": n.needed_by,
            "priority": n.priority,
            "status": n.status,
            "region": n.region,
            "departement": n.departement,
            "lat": _place(s, viewer)[0],
            "lon": _place(s, viewer)[1],
        }
        for n, s in rows.all()
    ]


async def _batches(
    session: AsyncSession, area: Area | None, viewer: User | None
) -> list[dict[str, Any]]:
    lab = aliased(Site)
    hospital = aliased(Site)
    rows = await session.execute(
        select(Batch, Need, lab, hospital)
        .join(Need, Need.id == Batch.need_id)
        .join(lab, lab.id == Batch.lab_id)
        .join(hospital, hospital.id == Need.hospital_id)
        .where(area_condition(area, Need.region, Need.departement))
        .where(drafts_hidden(viewer))
        .order_by(Batch.id)
    )
    return [
        {
            "id": b.id,
            "code": b.code,
            "external_id": b.external_id,
            "need_id": b.need_id,
            "need_external_id": n.external_id,
            "hospital": h.name,
            "needed_by": n.needed_by,
            "lab_id": b.lab_id,
            "lab_external_id": lb.external_id,
            "lab": lb.name,
            "design": b.design,
            "state": b.state,
            "quantity": b.quantity,
            "made": b.made,
            "picked_up": b.picked_up,
            "delivered": b.delivered,
            "accepted": b.accepted,
            "rejected": b.rejected,
            "reject_reason": b.reject_reason,
            "due": b.due,
            "region": n.region,
            "departement": n.departement,
            "lat": _place(lb, viewer)[0],
            "lon": _place(lb, viewer)[1],
        }
        for b, n, lb, h in rows.all()
    ]


async def _three_w(
    session: AsyncSession, area: Area | None, lang: Lang, viewer: User | None
) -> list[dict[str, Any]]:
    """One row per lab and design it offers or works on: its capacity and its output so far."""
    labs = {
        s.id: s
        for s in (
            await session.scalars(
                select(Site).where(
                    Site.type == SiteType.LAB, area_condition(area, Site.region, Site.departement)
                )
            )
        ).all()
    }
    pairs: dict[tuple[int, str], dict[str, Any]] = {}
    offers = await session.scalars(select(Offer).where(Offer.lab_id.in_(list(labs))))
    for o in offers.all():
        pairs[(o.lab_id, o.design)] = {
            "units_per_day": o.units_per_day,
            "start": o.available_from,
            "end": o.available_until,
        }
    output = await session.execute(
        select(
            Batch.lab_id,
            Batch.design,
            func.sum(Batch.quantity),
            func.sum(Batch.made),
            func.sum(Batch.delivered),
        )
        .where(Batch.lab_id.in_(list(labs)), Batch.state.in_(COMMITTED))
        .group_by(Batch.lab_id, Batch.design)
    )
    for lab_id, design, committed, made, delivered in output.all():
        pairs.setdefault((lab_id, design), {}).update(
            committed=int(committed or 0), made=int(made or 0), delivered=int(delivered or 0)
        )
    catalogue = load_catalogue()
    regions, departements = region_names(), departement_names()
    sector = render(SECTOR, {}, lang)
    rows = []
    for (lab_id, design), figures in sorted(pairs.items()):
        site = labs[lab_id]
        entry = catalogue.get(design)
        rows.append(
            {
                "org": site.name,
                "org_type": site.kind,
                "org_id": site.id,
                "sector": sector,
                "activity": (entry.name_fr if lang == "fr" else entry.name) if entry else design,
                "design": design,
                "adm1_name": regions.get(site.region or ""),
                "adm1_code": site.region,
                "adm2_name": departements.get(site.departement or ""),
                "adm2_code": site.departement,
                "units_per_day": figures.get("units_per_day"),
                "start": figures.get("start"),
                "end": figures.get("end"),
                "committed": figures.get("committed", 0),
                "made": figures.get("made", 0),
                "delivered": figures.get("delivered", 0),
                "lat": _place(site, viewer)[0],
                "lon": _place(site, viewer)[1],
            }
        )
    return rows


async def export_sheet(
    session: AsyncSession, kind: Kind, area: Area | None, *, viewer: User | None, lang: Lang
) -> Sheet:
    """Read one kind of record of an area as a :class:`Sheet` (rows in id order)."""
    if kind == "hospitals":
        rows = await _sites(session, SiteType.HOSPITAL, area, viewer)
    elif kind == "labs":
        rows = await _sites(session, SiteType.LAB, area, viewer)
    elif kind == "needs":
        rows = await _needs(session, area, viewer)
    elif kind == "batches":
        rows = await _batches(session, area, viewer)
    else:
        rows = await _three_w(session, area, lang, viewer)
    return Sheet(kind, SHEETS[kind], rows)
