"""Great-circle geometry: haversine distances and a KD-tree for pairs within a radius."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

#: Mean Earth radius (IUGG), as SPEC section 3 requires.
EARTH_RADIUS_KM: Final[float] = 6371.0088

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def haversine_km(
    lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray
) -> FloatArray:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    lon1r, lat1r, lon2r, lat2r = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    h = (
        np.sin((lat2r - lat1r) / 2.0) ** 2
        + np.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2.0) ** 2
    )
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def unit_vectors(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Points on the unit sphere, shape (n, 3): chord length is monotone in arc length."""
    lonr = np.radians(np.asarray(lon, dtype=np.float64))
    latr = np.radians(np.asarray(lat, dtype=np.float64))
    return np.column_stack((np.cos(latr) * np.cos(lonr), np.cos(latr) * np.sin(lonr), np.sin(latr)))


def pairs_within(
    a_lon: FloatArray,
    a_lat: FloatArray,
    b_lon: FloatArray,
    b_lat: FloatArray,
    max_km: float,
) -> tuple[IntArray, IntArray, FloatArray]:
    """All pairs (i, j) with haversine(a_i, b_j) <= ``max_km``.

    Returns
    -------
    ia, jb, km
        Indices into ``a`` and ``b`` and the haversine distance, sorted by ``ia`` then ``km``.
    """
    if len(a_lon) == 0 or len(b_lon) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.empty(0, dtype=np.float64)
    # The chord search radius is padded slightly so that no pair is lost to floating point;
    # the exact haversine test below decides.
    angle = min(max_km / EARTH_RADIUS_KM, np.pi)
    chord = 2.0 * np.sin(angle / 2.0) * (1.0 + 1e-9) + 1e-12
    tree_a = cKDTree(unit_vectors(a_lon, a_lat))
    tree_b = cKDTree(unit_vectors(b_lon, b_lat))
    found = tree_a.sparse_distance_matrix(tree_b, chord, output_type="ndarray")
    ia = found["i"].astype(np.int64)
    jb = found["j"].astype(np.int64)
    km = haversine_km(a_lon[ia], a_lat[ia], b_lon[jb], b_lat[jb])
    keep = km <= max_km
    ia, jb, km = ia[keep], jb[keep], km[keep]
    order = np.lexsort((jb, km, ia))
    return ia[order], jb[order], km[order]
