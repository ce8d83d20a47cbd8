"""Find a place by typing: communes (offline index), addresses (addok), establishments."""

import asyncio
import re

from sqlalchemy.ext.asyncio import AsyncSession

from hub.config import Settings
from hub.errors import Invalid, NotFound
from hub.i18n import _
from hub.places.geocoder import geocode
from hub.places.index import MAX_QUERY_CHARS, Hit, fold, place_index
from hub.places.schemas import PlaceOut
from hub.registry.models import RegistryEntry
from hub.registry.service import search_entries

# A query that starts with a house number or names a kind of street is an address.
_STREET = re.compile(
    r"^\s*\d+|\b(rue|avenue|av|bd|boulevard|chemin|route|place|allee|impasse|quai|cours|"
    r"square|voie|lieu dit|lotissement|residence)\b"
)


def commune_out(hit: Hit) -> PlaceOut:
    """Render a commune hit."""
    c = hit.commune
    return PlaceOut(
        label=hit.label,
        lat=c.lat,
        lon=c.lon,
        citycode=c.insee,
        postcode=hit.postcode,
        departement=c.departement,
        region=c.region,
        kind="commune",
    )


def establishment_out(entry: RegistryEntry) -> PlaceOut | None:
    """Render a registry entry as a place (None while the registry has no point for it)."""
    if entry.lat is None or entry.lon is None:
        return None
    city = " ".join(filter(None, (entry.postcode, entry.city)))
    return PlaceOut(
        label=f"{entry.name} — {city}" if city else entry.name,
        lat=entry.lat,
        lon=entry.lon,
        citycode=entry.citycode,
        postcode=entry.postcode,
        departement=entry.departement,
        region=entry.region,
        kind="establishment",
        name=entry.name,
        address=entry.address,
        finess=entry.number,
        category=entry.category,
        phone=entry.phone,
    )


def check_query(q: str) -> str:
    """Refuse an empty query or one over 200 characters (422)."""
    text = q.strip()
    if not text:
        raise Invalid(_("Type a postcode, a commune, an address or an establishment."))
    if len(text) > MAX_QUERY_CHARS:
        raise Invalid(
            _("A place search is at most {max} characters; this one has {n}."),
            max=MAX_QUERY_CHARS,
            n=len(text),
        )
    return text


async def find_places(
    session: AsyncSession, settings: Settings, q: str, *, limit: int = 10
) -> list[PlaceOut]:
    """Best places first; 422 for an empty or too long query, 404 when nothing is found.

    Communes matching every word come first, then establishments, then addresses; a query that
    looks like an address puts addresses first. Without a geocoder (or when it is down), an
    address still finds its commune (the words it ends with).
    """
    text = check_query(q)
    # The first search builds the index (a second or more): in a thread, not the event loop.
    index = await asyncio.to_thread(place_index)
    communes = [commune_out(h) for h in index.search(text, limit)]
    establishments = [
        p for e in await search_entries(session, text, limit) if (p := establishment_out(e))
    ]
    addresses: list[PlaceOut] = []
    if settings.geocoder_url:
        addresses = await geocode(
            settings.geocoder_url, text, limit=limit, timeout=settings.geocoder_timeout
        )
    if _STREET.search(" ".join(fold(text))):
        found = addresses + establishments + communes
    else:
        found = communes + establishments + addresses
    if not found:
        found = [commune_out(h) for h in index.search_loose(text, limit)]
    if not found:
        raise NotFound(_("No place matches {query}."), query=text)
    return _unique(found)[:limit]


def _unique(places: list[PlaceOut]) -> list[PlaceOut]:
    seen: set[tuple[str, float, float]] = set()
    kept = []
    for p in places:
        key = (p.kind, round(p.lat, 5), round(p.lon, 5))
        if key not in seen:
            seen.add(key)
            kept.append(p)
    return kept
