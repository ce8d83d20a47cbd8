"""The right area: a point across a land border stays foreign; a point at sea snaps home.

Properties over the shipped boundary data. "1 km across the border": points 1 km outside the
shipped outline of France, on the side where OpenStreetMap's borders (the time-zone polygons)
put another country's land. The old rule snapped anything within 2 km of the outline home.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.geo import areas
from hub.geo.territory import looks_swapped, where
from hub.geo.zones import is_foreign_land, zone_at

KM_PER_DEG = 111.195
ACROSS_KM = 1.0

# Each land border as a box (lon_min, lat_min, lon_max, lat_max) over France's outline there
# (Monaco, 2 km across, is too small to sweep 1 km deep: see the towns below).
BORDERS = {
    "Belgium": (2.55, 49.5, 4.85, 51.09),
    "Luxembourg": (5.75, 49.44, 6.55, 49.58),
    "Germany": (6.35, 47.58, 8.25, 49.22),
    "Switzerland": (5.95, 46.13, 7.58, 47.58),
    "Italy": (6.62, 43.78, 7.2, 45.95),
    "Spain": (-1.78, 42.33, 3.17, 43.37),
    "Andorra": (1.40, 42.43, 1.79, 42.66),
    "Brazil": (-54.65, 2.1, -51.6, 4.4),
    "Suriname": (-54.65, 2.1, -53.95, 5.75),
}
SAMPLES = 400


@cache
def _france() -> shapely.Geometry:
    """The shipped outline of France (all départements), prepared."""
    union = shapely.union_all(areas.departements().geometry.to_numpy())
    shapely.prepare(union)
    return union


def _across(line: shapely.Geometry, t: float) -> tuple[float, float] | None:
    """The point 1 km outward from the outline at fraction ``t`` along ``line``, or None."""
    p = line.interpolate(t, normalized=True)
    q = line.interpolate(min(1.0, t + 1e-4), normalized=True)
    dx, dy = q.x - p.x, q.y - p.y
    if dx == 0 and dy == 0:
        return None
    k = math.cos(math.radians(p.y))
    for sign in (1, -1):
        # Perpendicular in kilometres, back to degrees.
        nx, ny = -dy * k * sign, dx * sign
        norm = math.hypot(nx, ny)
        lon = p.x + (nx / norm) * ACROSS_KM / (KM_PER_DEG * k)
        lat = p.y + (ny / norm) * ACROSS_KM / KM_PER_DEG
        point = shapely.Point(lon, lat)
        if _france().contains(point):
            continue
        # At least 0.8 km from every part of the outline (meanders come back).
        gap_km = shapely.distance(point, _france().boundary) * KM_PER_DEG * k
        if gap_km >= 0.8 * ACROSS_KM:
            return lon, lat
    return None


@cache
def _outline(border: str) -> shapely.Geometry:
    box = shapely.box(*BORDERS[border])
    return shapely.line_merge(shapely.intersection(_france().boundary, box))


def _lines(border: str) -> list[shapely.Geometry]:
    parts = shapely.get_parts(_outline(border))
    return [p for p in parts if p.length > 0.005]


@pytest.mark.parametrize("border", sorted(BORDERS))
def test_points_1_km_across_each_land_border_stay_foreign(border: str) -> None:
    lines = _lines(border)
    assert lines, border
    foreign: list[tuple[float, float]] = []
    for line in lines:
        for t in np.linspace(0, 1, max(2, int(SAMPLES * line.length / 3)), endpoint=False):
            point = _across(line, float(t))
            if point is not None and is_foreign_land(zone_at(*point)):
                foreign.append(point)
    assert len(foreign) >= 5, f"{border}: only {len(foreign)} points across the border"
    found = areas.locate_many([p[0] for p in foreign], [p[1] for p in foreign])
    wrong = [(p, codes) for p, codes in zip(foreign, found, strict=True) if codes is not None]
    assert not wrong, f"{border}: {len(wrong)} of {len(foreign)} given French codes: {wrong[:5]}"
    for lon, lat in foreign[:: max(1, len(foreign) // 20)]:
        assert not where(lon, lat).in_france


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(border=st.sampled_from(sorted(BORDERS)), t=st.floats(0, 1, exclude_max=True))
def test_hypothesis_points_across_borders(border: str, t: float) -> None:
    lines = _lines(border)
    line = lines[int(t * len(lines)) % len(lines)]
    point = _across(line, (t * len(lines)) % 1.0)
    if point is None or not is_foreign_land(zone_at(*point)):
        return  # at sea, or the outline there is a coast
    assert areas.locate(*point) is None, (border, point)


@pytest.mark.parametrize(
    ("place", "lon", "lat"),
    [
        ("Kehl, across the Rhine from Strasbourg", 7.8150, 48.5760),
        ("Menen, across the Lys from Halluin", 3.1240, 50.7960),
        ("Schengen", 6.3660, 49.4710),
        ("Monaco", 7.4246, 43.7384),
        ("Monte-Carlo's casino", 7.4283, 43.7393),
        ("Fontvieille, Monaco", 7.4170, 43.7300),
        ("Pas de la Casa, Andorra", 1.7330, 42.5420),
        ("Irun, across the Bidassoa from Hendaye", -1.7890, 43.3390),
        ("Ventimiglia", 7.6070, 43.7910),
        ("Oiapoque, Brazil", -51.8330, 3.8420),
        ("Albina, Suriname", -54.0540, 5.4970),
        ("Philipsburg, Sint Maarten", -63.0500, 18.0230),
    ],
)
def test_border_towns_abroad(place: str, lon: float, lat: float) -> None:
    assert areas.locate(lon, lat) is None, place
    assert not where(lon, lat).in_france, place


@pytest.mark.parametrize(
    ("place", "lon", "lat", "departement"),
    [
        ("Strasbourg, on the Rhine", 7.7940, 48.5730, "67"),
        ("Hendaye", -1.7740, 43.3600, "64"),
        ("Menton", 7.5030, 43.7760, "06"),
        ("Saint-Laurent-du-Maroni", -54.0330, 5.5000, "973"),
        ("Saint-Georges-de-l'Oyapock", -51.8080, 3.8910, "973"),
        ("Marseille, 300 m out to sea", 5.3705, 43.2570, "13"),
    ],
)
def test_french_border_and_seafront_towns(
    place: str, lon: float, lat: float, departement: str
) -> None:
    codes = areas.locate(lon, lat)
    assert codes is not None and codes.departement == departement, place


def test_marigot_is_french_without_departement() -> None:
    here = where(-63.0824, 18.0677)
    assert here.in_france and here.codes is None
    assert (here.time_zone, here.land) == ("America/Marigot", "saint-martin")


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(-5.0, 9.5),
    lat=st.floats(42.0, 51.0),
)
def test_swapped_metropolitan_points_look_swapped(lon: float, lat: float) -> None:
    """Any point in metropolitan France, typed lat-for-lon, is caught as swapped."""
    if not where(lon, lat).in_france:
        return
    swapped_lon, swapped_lat = lat, lon
    if where(swapped_lon, swapped_lat).in_france:
        return  # both ways in France: nothing to tell
    assert looks_swapped(swapped_lon, swapped_lat)


def test_grenoble_swapped() -> None:
    assert looks_swapped(45.2006, 5.7474)
    assert not looks_swapped(5.7474, 45.2006)
    assert not looks_swapped(-10.0, 45.0)  # the Atlantic, either way round
