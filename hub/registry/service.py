"""Load FINESS extractions into the registry table, search it, and compare a site with it."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.fr import siret as stdnum_siret

from hub.access import covers, is_member
from hub.auth.models import User
from hub.errors import Forbidden
from hub.geodesy import haversine_km
from hub.i18n import _
from hub.places.index import fold, place_index
from hub.registry.finess import Establishment, read_finess
from hub.registry.models import RegistryEntry
from hub.registry.schemas import RegistryCheck, RegistryEntryOut, RegistryImport
from hub.rules.states import Role, SiteType
from hub.sites.models import Site

SOURCE_FINESS = "finess"


def search_text(est: Establishment) -> str:
    """The folded words a search matches: name, address, commune, postcode and number."""
    words = fold(
        " ".join(filter(None, (est.name, est.address, est.city, est.postcode, est.number)))
    )
    return " " + " ".join(words)[:596] + " "


async def import_finess(session: AsyncSession, data: bytes) -> RegistryImport:
    """Read a FINESS extraction (all or nothing: a bad line refuses the file) and upsert it."""
    establishments = read_finess(data)  # raises LayoutError before anything is written
    index = place_index()
    existing = {
        e.number: e
        for e in await session.scalars(
            select(RegistryEntry).where(RegistryEntry.source == SOURCE_FINESS)
        )
    }
    created = updated = located = 0
    for est in establishments:
        commune = index.commune(est.citycode) if est.citycode else None
        values = {
            "legal_number": est.legal_number or None,
            "siret": est.siret,
            "name": est.name,
            "address": est.address,
            "postcode": est.postcode,
            "city": est.city,
            "citycode": est.citycode,
            # The official codes of the commune, not whichever polygon the point falls in.
            "departement": commune.departement if commune else est.departement,
            "region": commune.region if commune else None,
            "phone": est.phone,
            "category_code": est.category_code,
            "category": est.category,
            "lat": est.lat,
            "lon": est.lon,
            "search": search_text(est),
        }
        located += est.lat is not None
        entry = existing.get(est.number)
        if entry is None:
            session.add(RegistryEntry(source=SOURCE_FINESS, number=est.number, **values))
            created += 1
        else:
            for key, value in values.items():
                setattr(entry, key, value)
            updated += 1
    await session.flush()
    return RegistryImport(
        read=len(establishments), created=created, updated=updated, located=located
    )


async def search_entries(session: AsyncSession, query: str, limit: int = 5) -> list[RegistryEntry]:
    """Registry entries whose name, commune, postcode or number hold every word of ``query``."""
    words = fold(query)
    if not words:
        return []
    conditions = []
    for word in words:
        # A word of the name starts with the typed word; numbers match from their start too.
        conditions.append(RegistryEntry.search.like(f"% {word}%"))
    rows = await session.scalars(
        select(RegistryEntry).where(*conditions).order_by(RegistryEntry.name).limit(limit)
    )
    return list(rows.all())


def entry_out(entry: RegistryEntry) -> RegistryEntryOut:
    """Render a registry entry."""
    return RegistryEntryOut(
        source=entry.source,
        number=entry.number,
        siret=entry.siret,
        name=entry.name,
        address=entry.address,
        postcode=entry.postcode,
        city=entry.city,
        citycode=entry.citycode,
        departement=entry.departement,
        region=entry.region,
        phone=entry.phone,
        category=entry.category,
        lat=entry.lat,
        lon=entry.lon,
    )


async def check_site(session: AsyncSession, *, user: User, site: Site) -> RegistryCheck:
    """Compare a site with its registry entry (coordinators of its area and its members)."""
    coordinator = user.role in (Role.COORDINATOR, Role.ADMIN) and covers(
        user, site.region, site.departement
    )
    if not coordinator and not await is_member(session, user, site.id):
        raise Forbidden(_("Only coordinators of its area and its members see this."))
    entry = None
    if site.finess:
        entry = await session.scalar(
            select(RegistryEntry).where(
                RegistryEntry.source == SOURCE_FINESS, RegistryEntry.number == site.finess
            )
        )
    if entry is None and site.siret:
        entry = await session.scalar(
            select(RegistryEntry)
            .where(RegistryEntry.siret == site.siret)
            .order_by(RegistryEntry.id)
            .limit(1)
        )
    distance = None
    if entry is not None and entry.lat is not None and entry.lon is not None:
        distance = round(haversine_km(site.lat, site.lon, entry.lat, entry.lon), 3)
    return RegistryCheck(
        site_id=site.id,
        site_type=SiteType(site.type),
        finess=site.finess,
        siret=site.siret,
        siret_valid=stdnum_siret.is_valid(site.siret) if site.siret else None,
        match=entry is not None,
        entry=entry_out(entry) if entry is not None else None,
        distance_km=distance,
        same_departement=(
            None
            if entry is None or entry.departement is None
            else entry.departement == site.departement
        ),
    )
