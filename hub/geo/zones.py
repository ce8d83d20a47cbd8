"""Time zones of points and which of them are French: a site's clock and its landmass.

The zone of a point comes from ``timezonefinder`` (the polygons of timezone-boundary-builder,
drawn from OpenStreetMap's borders, oceans included; ODbL). It tells three things the
simplified département polygons cannot:

- the site's clock (a hospital in Pointe-à-Pitre runs on America/Guadeloupe);
- whether a point just outside the French polygons is abroad (Geneva: Europe/Zurich) or at
  sea (territorial waters carry their country's zone, the open sea an ``Etc/`` zone), so that
  only points at sea are snapped to the coast;
- French territories the département polygons do not hold (Saint-Martin, Saint-Barthélemy,
  Saint-Pierre-et-Miquelon and the Pacific): in France, with no région or département.

Pure: no database and no web imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

#: Landmass of each French time zone; Europe/Paris is the mainland or Corsica, decided by
#: département (:func:`land_of`). Guadeloupe's islands count as one (Basse-Terre and
#: Grande-Terre are joined by bridges; Marie-Galante, Les Saintes and La Désirade are taken
#: with them), as do Mayotte's two, Polynésie's and Nouvelle-Calédonie's.
FRENCH_ZONES: Final[dict[str, str]] = {
    "Europe/Paris": "mainland",
    "America/Guadeloupe": "guadeloupe",
    "America/Martinique": "martinique",
    "America/Cayenne": "guyane",
    "Indian/Reunion": "reunion",
    "Indian/Mayotte": "mayotte",
    "America/Miquelon": "saint-pierre-et-miquelon",
    "America/St_Barthelemy": "saint-barthelemy",
    "America/Marigot": "saint-martin",
    "Pacific/Wallis": "wallis-et-futuna",
    "Pacific/Tahiti": "polynesie",
    "Pacific/Marquesas": "polynesie",
    "Pacific/Gambier": "polynesie",
    "Pacific/Noumea": "nouvelle-caledonie",
}
CORSICA: Final = "corsica"
CORSICA_DEPARTEMENTS: Final = frozenset({"2A", "2B"})
#: The clock of each overseas département; every other département is on Europe/Paris.
DEPARTEMENT_ZONES: Final[dict[str, str]] = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "976": "Indian/Mayotte",
}
#: The hub's clock when nothing better is known.
DEFAULT_ZONE: Final = "Europe/Paris"


@cache
def _finder() -> TimezoneFinder:
    """Open the zone polygons once (memory-mapped: cheap)."""
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def zone_at(lon: float, lat: float) -> str | None:
    """Return the IANA zone of a WGS84 point (``Etc/GMT…`` at sea), or None if unknown."""
    return _finder().timezone_at(lng=float(lon), lat=float(lat))


def zones_at(lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
    """:func:`zone_at` for many points."""
    finder = _finder()
    return [finder.timezone_at(lng=float(x), lat=float(y)) for x, y in zip(lons, lats, strict=True)]


def is_french(zone: str | None) -> bool:
    """Tell whether a zone is one of France's."""
    return zone in FRENCH_ZONES


def is_sea(zone: str | None) -> bool:
    """Tell whether a zone is the open sea's (``Etc/…``, beyond any territorial waters)."""
    return zone is None or zone.startswith("Etc/")


def is_foreign_land(zone: str | None) -> bool:
    """Tell whether a zone belongs to another country (its land or its territorial waters)."""
    return not is_french(zone) and not is_sea(zone)


def zone_of_departement(code: str) -> str:
    """Return the clock of a département: Europe/Paris, or an overseas one's own."""
    return DEPARTEMENT_ZONES.get(code, DEFAULT_ZONE)


def land_of(zone: str | None, departement: str | None) -> str | None:
    """Return the landmass of a place in France from its zone and département; None abroad."""
    if departement is not None:
        if departement in CORSICA_DEPARTEMENTS:
            return CORSICA
        return FRENCH_ZONES[zone_of_departement(departement)]
    if zone in FRENCH_ZONES:
        return FRENCH_ZONES[zone]
    return None
