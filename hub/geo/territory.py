"""Where a point is for the hub: its French area codes, its clock, its landmass, or abroad.

One answer per point, used when a site is created or moved: ``codes`` (région and
département, :func:`hub.geo.areas.locate`), ``time_zone`` (the IANA zone of its territory),
``land`` (mainland, Corsica or one overseas territory, :mod:`hub.geo.zones`) and whether it is
in France at all. Pure: no database and no web imports.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.geo.areas import AreaCodes, locate
from hub.geo.zones import DEFAULT_ZONE, is_french, land_of, zone_at, zone_of_departement


@dataclass(frozen=True)
class Whereabouts:
    """A point's area codes (None abroad or in a French territory without département), its
    time zone, its landmass (None abroad) and whether it is in France."""

    codes: AreaCodes | None
    time_zone: str
    land: str | None
    in_france: bool


def where(lon: float, lat: float) -> Whereabouts:
    """Return the whereabouts of a WGS84 point (ValueError on impossible coordinates)."""
    codes = locate(lon, lat)
    zone = zone_at(lon, lat)
    if codes is not None:
        departement = codes.departement
        return Whereabouts(
            codes, zone_of_departement(departement), land_of(zone, departement), True
        )
    if is_french(zone):
        assert zone is not None
        return Whereabouts(None, zone, land_of(zone, None), True)
    # Abroad or at sea: the clock of the place itself, no French land.
    return Whereabouts(None, zone or DEFAULT_ZONE, None, False)


def looks_swapped(lon: float, lat: float) -> bool:
    """Tell whether a point outside France would be in France with lat and lon swapped."""
    if abs(lon) > 90 or where(lon, lat).in_france:
        return False
    return where(lat, lon).in_france
