"""Régions and départements: point lookup, area strings and SVG outlines of the map.

Boundaries come from ``hub/geo/data/*.geojson`` (built by ``scripts/build_geodata.py``). They are
loaded on first use, so importing this module stays cheap: the web service imports it for
:class:`Area` long before any site is located.

Pure: geometry only (shapely, geopandas, numpy; time zones by hub.geo.zones), no database and
no web imports.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import geopandas
    import numpy as np
    import shapely

DATA_DIR = Path(__file__).resolve().parent / "data"
# Simplified coastlines can put a seaside site a few hundred metres offshore; 2 km forgives
# that. Only points at sea are snapped: a point whose time zone is another country's is abroad
# however close to the border (hub.geo.zones).
SNAP_KM = 2.0
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180.0

# The map covers metropolitan France and Corsica; overseas départements would shrink it to
# nothing. Bounds are fixed (not read from the data) so that project() needs no data at all.
MAP_LON_MIN, MAP_LON_MAX = -5.25, 9.65
MAP_LAT_MIN, MAP_LAT_MAX = 41.25, 51.15
MAP_REFERENCE_LAT = 46.5
MAP_MARGIN = 0.02
DEFAULT_MAP_WIDTH = 800.0
DEFAULT_MAP_HEIGHT = 800.0
# The SVG outlines are simplified again on screen; under a pixel nobody sees the difference
# and the page loads ~10x fewer vertices.
MAP_SIMPLIFY_PX = 0.6

AreaKind = Literal["FR", "region", "departement"]


@dataclass(frozen=True)
class AreaCodes:
    """The région and département codes of a place, e.g. region="84", departement="38"."""

    region: str
    departement: str


@dataclass(frozen=True)
class Area:
    """All of France, one région or one département: the scope of a coordinator or a query."""

    kind: AreaKind
    code: str | None = None

    def contains(self, codes: AreaCodes | None) -> bool:
        """Return whether a place with these codes lies in this area.

        ``FR`` contains everything, even a site that could not be located (None), so that a
        national coordinator sees it; a région or a département never contains None.
        """
        if self.kind == "FR":
            return True
        if codes is None:
            return False
        if self.kind == "region":
            return codes.region == self.code
        return codes.departement == self.code

    def covers(self, other: Area) -> bool:
        """Return whether every place of ``other`` lies in this area."""
        if self.kind == "FR":
            return True
        if other.kind == "FR" or other.code is None:
            return False
        if self.kind == "region":
            region = other.code if other.kind == "region" else region_of_departement(other.code)
            return region == self.code
        return other.kind == "departement" and other.code == self.code

    def __str__(self) -> str:
        """Return the canonical string: ``FR``, ``region:84`` or ``departement:38``."""
        return "FR" if self.kind == "FR" else f"{self.kind}:{self.code}"


def parse_area(text: str) -> Area:
    """Parse ``FR``, ``region:CODE`` or ``departement:CODE``; raise ValueError otherwise."""
    raw = text.strip()
    if raw.upper() == "FR":
        return Area("FR")
    kind, sep, code = raw.partition(":")
    kind = kind.strip().lower()
    code = code.strip().upper()
    if not sep or kind not in ("region", "departement") or not code:
        raise ValueError(
            f"invalid area {text!r}: expected 'FR', 'region:CODE' (e.g. region:84) "
            "or 'departement:CODE' (e.g. departement:38)"
        )
    if kind == "region":
        if code not in region_names():
            known = ", ".join(sorted(region_names()))
            raise ValueError(f"unknown région code {code!r} in {text!r}; known: {known}")
        return Area("region", code)
    if code not in departement_names():
        raise ValueError(
            f"unknown département code {code!r} in {text!r}: "
            "use the INSEE code, e.g. 01, 2A, 38, 974"
        )
    return Area("departement", code)


@cache
def _properties(name: str) -> tuple[dict[str, str], ...]:
    """Read only the properties of a GeoJSON file (cheap: no geometry objects built)."""
    with (DATA_DIR / f"{name}.geojson").open(encoding="utf-8") as f:
        collection = json.load(f)
    return tuple(feature["properties"] for feature in collection["features"])


@cache
def departement_names() -> dict[str, str]:
    """Return département code -> name, e.g. "38" -> "Isère"."""
    return {p["code"]: p["name"] for p in _properties("departements")}


@cache
def region_names() -> dict[str, str]:
    """Return région code -> name, e.g. "84" -> "Auvergne-Rhône-Alpes"."""
    return {p["code"]: p["name"] for p in _properties("regions")}


@cache
def _region_by_departement() -> dict[str, str]:
    """Return département code -> région code."""
    return {p["code"]: p["region"] for p in _properties("departements")}


def region_of_departement(code: str) -> str:
    """Return the région code of a département code; raise ValueError if unknown."""
    try:
        return _region_by_departement()[code]
    except KeyError:
        raise ValueError(f"unknown département code {code!r}") from None


@cache
def _load(name: str) -> geopandas.GeoDataFrame:
    """Load a GeoJSON file of hub/geo/data into a GeoDataFrame (WGS84)."""
    import geopandas
    import shapely

    with (DATA_DIR / f"{name}.geojson").open(encoding="utf-8") as f:
        features = json.load(f)["features"]
    # Parsing with shapely avoids needing a GDAL-backed reader (pyogrio) at runtime.
    geometries = [shapely.from_geojson(json.dumps(feat["geometry"])) for feat in features]
    props = [feat["properties"] for feat in features]
    columns = {key: [p[key] for p in props] for key in props[0]}
    return geopandas.GeoDataFrame(columns, geometry=geometries, crs="EPSG:4326")


def departements() -> geopandas.GeoDataFrame:
    """Return the départements (code, name, region, geometry in WGS84), one row each."""
    # A copy, so a caller adding a column cannot change what locate() sees.
    return _load("departements").copy()


def regions() -> geopandas.GeoDataFrame:
    """Return the régions (code, name, geometry in WGS84), one row each."""
    return _load("regions").copy()


@dataclass(frozen=True)
class _Index:
    """The département polygons, their codes and a spatial index over them."""

    codes: list[AreaCodes]
    geometries: np.ndarray[Any, Any]
    tree: shapely.STRtree = field(repr=False)


@cache
def _index() -> _Index:
    """Build the STRtree over départements once, on first lookup."""
    import shapely

    table = _load("departements")
    codes = [
        AreaCodes(region=str(r), departement=str(d))
        for d, r in zip(table["code"], table["region"], strict=True)
    ]
    geometries = table.geometry.to_numpy()
    # Prepared geometries make the repeated point-in-polygon tests several times faster.
    shapely.prepare(geometries)
    return _Index(codes=codes, geometries=geometries, tree=shapely.STRtree(geometries))


def locate(lon: float, lat: float) -> AreaCodes | None:
    """Return the région and département of a WGS84 point, or None outside France.

    A point in another country (by its time zone, drawn from OpenStreetMap's borders) has
    none, even inside a simplified département polygon or a metre from the border; a point at
    sea within ``SNAP_KM`` of the coast gets the nearest département's.
    """
    return locate_many([lon], [lat])[0]


def locate_many(lons: Sequence[float], lats: Sequence[float]) -> list[AreaCodes | None]:
    """Vectorised :func:`locate` for many points (CSV imports, demo data)."""
    import numpy as np
    import shapely

    from hub.geo.zones import is_foreign_land, zones_at

    x = np.asarray(lons, dtype=float).reshape(-1)
    y = np.asarray(lats, dtype=float).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"{x.size} longitudes but {y.size} latitudes")
    bad = ~(np.isfinite(x) & np.isfinite(y)) | (np.abs(x) > 180) | (np.abs(y) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"invalid coordinates lon={x[i]}, lat={y[i]}: expected WGS84 degrees")

    index = _index()
    points = shapely.points(x, y)
    result: list[AreaCodes | None] = [None] * x.size
    # intersects rather than within: a point exactly on a border belongs somewhere. On a shared
    # border the first département in code order wins, which is at least deterministic.
    point_idx, dep_idx = index.tree.query(points, predicate="intersects")
    # Sorted so that, writing in reverse, the lowest département index is written last.
    order = np.lexsort((dep_idx, point_idx))[::-1]
    for p, d in zip(point_idx[order], dep_idx[order], strict=True):
        result[int(p)] = index.codes[int(d)]

    abroad = [is_foreign_land(zone) for zone in zones_at(x.tolist(), y.tolist())]
    for i, foreign in enumerate(abroad):
        if foreign:
            result[i] = None
    missing = np.array(
        [i for i, codes in enumerate(result) if codes is None and not abroad[i]], dtype=int
    )
    if missing.size:
        for i, codes in _snap(index, points[missing]).items():
            result[int(missing[i])] = codes
    return result


def _snap(index: _Index, points: np.ndarray[Any, Any]) -> dict[int, AreaCodes]:
    """Give points just off the simplified coastline the nearest département within SNAP_KM."""
    import shapely

    # One degree of longitude shrinks with latitude; bound the search by the widest case
    # (France reaches 51.1° N) and check the true distance afterwards.
    max_deg = SNAP_KM / (KM_PER_DEGREE * math.cos(math.radians(52.0)))
    point_idx, dep_idx = index.tree.query_nearest(points, max_distance=max_deg, all_matches=False)
    found: dict[int, AreaCodes] = {}
    if point_idx.size == 0:
        return found
    lines = shapely.shortest_line(points[point_idx], index.geometries[dep_idx])
    ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    km = _haversine_km(ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1])
    for p, d, dist in zip(point_idx, dep_idx, km, strict=True):
        if dist <= SNAP_KM:
            found[int(p)] = index.codes[int(d)]
    return found


def _haversine_km(
    lon1: np.ndarray[Any, Any],
    lat1: np.ndarray[Any, Any],
    lon2: np.ndarray[Any, Any],
    lat2: np.ndarray[Any, Any],
) -> np.ndarray[Any, Any]:
    """Great-circle distance in km between arrays of WGS84 points."""
    import numpy as np

    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    km: np.ndarray[Any, Any] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
    return km


@dataclass(frozen=True)
class MapProjection:
    """Equirectangular projection of metropolitan France into an SVG box of width x height.

    x = x_offset + scale * cos(46.5°) * lon and y = y_offset - scale * lat, so north is up and
    distances are true to within ~10 % across the country. The dashboard can redo it in a few
    lines of JavaScript from these four numbers.
    """

    width: float
    height: float
    scale: float
    x_offset: float
    y_offset: float

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """Return the SVG (x, y) of a WGS84 point."""
        k = math.cos(math.radians(MAP_REFERENCE_LAT))
        return (self.x_offset + self.scale * k * lon, self.y_offset - self.scale * lat)


def map_projection(
    width: float = DEFAULT_MAP_WIDTH, height: float = DEFAULT_MAP_HEIGHT
) -> MapProjection:
    """Return the projection fitting metropolitan France, centred, into width x height."""
    if width <= 0 or height <= 0:
        raise ValueError(f"map size must be positive, got {width} x {height}")
    k = math.cos(math.radians(MAP_REFERENCE_LAT))
    span_x = (MAP_LON_MAX - MAP_LON_MIN) * k
    span_y = MAP_LAT_MAX - MAP_LAT_MIN
    usable = 1.0 - 2 * MAP_MARGIN
    scale = min(width * usable / span_x, height * usable / span_y)
    # Centre the country in whichever direction has room to spare.
    x_offset = (width - scale * span_x) / 2 - scale * k * MAP_LON_MIN
    y_offset = (height - scale * span_y) / 2 + scale * MAP_LAT_MAX
    return MapProjection(width, height, scale, x_offset, y_offset)


def project(
    lon: float, lat: float, width: float = DEFAULT_MAP_WIDTH, height: float = DEFAULT_MAP_HEIGHT
) -> tuple[float, float]:
    """Return the SVG (x, y) of a WGS84 point on the svg_paths(width, height) map."""
    return map_projection(width, height).project(lon, lat)


@cache
def svg_paths(
    width: float = DEFAULT_MAP_WIDTH, height: float = DEFAULT_MAP_HEIGHT
) -> dict[str, str]:
    """Return département code -> SVG path ``d`` for metropolitan France (no overseas)."""
    import numpy as np
    import shapely

    proj = map_projection(width, height)
    k = math.cos(math.radians(MAP_REFERENCE_LAT))
    table = _load("departements")
    metro = [i for i, code in enumerate(table["code"]) if not str(code).startswith("97")]
    codes = [str(table["code"].iloc[i]) for i in metro]

    def to_svg(xy: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.column_stack(
            (proj.x_offset + proj.scale * k * xy[:, 0], proj.y_offset - proj.scale * xy[:, 1])
        )

    projected = shapely.transform(table.geometry.to_numpy()[metro], to_svg)
    # Simplify as a coverage so neighbouring outlines keep sharing their edges on screen.
    simplified = shapely.coverage_simplify(projected, MAP_SIMPLIFY_PX)
    return {code: _path_d(geom) for code, geom in zip(codes, simplified, strict=True)}


def _path_d(geom: shapely.Geometry) -> str:
    """Write a (multi)polygon as an SVG path; holes wind the other way, so any fill-rule works."""
    import shapely

    parts = []
    for polygon in shapely.get_parts(shapely.orient_polygons(geom)):
        for ring in (polygon.exterior, *polygon.interiors):
            coords = shapely.get_coordinates(ring)[:-1]
            # After M, further coordinate pairs are implicit line-tos: shorter paths.
            pairs = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f"M{pairs}Z")
    return "".join(parts)
