"""Street addresses from an addok geocoder (the engine of the Base Adresse Nationale).

Used only when ``HUB_GEOCODER_URL`` is set; any failure (down, slow, bad answer) gives no
address results, and the caller falls back to communes.
"""

import logging
from typing import Any

import httpx

from hub.places.index import place_index
from hub.places.schemas import PlaceOut

log = logging.getLogger(__name__)
# addok's types: housenumber, street, locality (lieu-dit), municipality.
ADDRESS_TYPES = {"housenumber", "street", "locality"}


async def geocode(base_url: str, query: str, *, limit: int, timeout: float) -> list[PlaceOut]:
    """Ask addok's ``/search/`` for addresses; return [] when it cannot answer."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(
                base_url.rstrip("/") + "/search/", params={"q": query, "limit": limit}
            )
            response.raise_for_status()
            features = response.json()["features"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        log.warning("geocoder unavailable (%s): falling back to communes", exc)
        return []
    return [place for f in features if (place := _place(f)) is not None]


def _place(feature: dict[str, Any]) -> PlaceOut | None:
    try:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
    except (KeyError, TypeError, ValueError):
        return None
    citycode = props.get("citycode")
    commune = place_index().commune(citycode) if citycode else None
    kind = "address" if props.get("type") in ADDRESS_TYPES else "commune"
    return PlaceOut(
        label=str(props.get("label", "")),
        lat=float(lat),
        lon=float(lon),
        citycode=citycode,
        postcode=props.get("postcode"),
        # Official codes from the INSEE code, as for communes.
        departement=commune.departement if commune else None,
        region=commune.region if commune else None,
        kind=kind,
        address=str(props.get("label", "")) if kind == "address" else None,
    )
