"""Distance and travel-time matrices: haversine × circuity by default, or an OSRM table service."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from matching.routes.model import Place

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class TravelMatrix:
    """Distances in km and durations in minutes between places; ``inf`` where unreachable."""

    distance_km: NDArray[np.float64]
    duration_min: NDArray[np.float64]


class MatrixProvider(Protocol):
    """Anything that turns places into a travel matrix."""

    def matrix(self, places: Sequence[Place]) -> TravelMatrix:
        """Return the matrix between ``places``, in order."""
        ...


class RoutingServiceError(RuntimeError):
    """The road-distance service failed or answered something we cannot use."""


@dataclass(frozen=True)
class HaversineProvider:
    """Great-circle distance times a circuity factor, driven at a constant speed."""

    circuity: float = 1.3
    speed_kmh: float = 50.0

    def __post_init__(self) -> None:
        if self.circuity < 1.0 or self.speed_kmh <= 0:
            raise ValueError("circuity must be at least 1 and speed positive")

    def matrix(self, places: Sequence[Place]) -> TravelMatrix:
        """Return haversine × circuity distances and the time to drive them."""
        lon = np.radians([p.lon for p in places])
        lat = np.radians([p.lat for p in places])
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        a = (
            np.sin(dlat / 2) ** 2
            + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        )
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * self.circuity
        return TravelMatrix(distance_km=km, duration_min=km / self.speed_kmh * 60.0)


@dataclass(frozen=True)
class OSRMTableProvider:
    """Road distances and times from an OSRM-compatible ``/table/v1/driving`` service."""

    base_url: str
    timeout: float = 10.0
    profile: str = "driving"

    def matrix(self, places: Sequence[Place]) -> TravelMatrix:
        """Query the table service once for all places."""
        import httpx

        if not places:
            empty = np.zeros((0, 0))
            return TravelMatrix(distance_km=empty, duration_min=empty.copy())
        coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in places)
        url = f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coords}"
        try:
            response = httpx.get(
                url, params={"annotations": "distance,duration"}, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise RoutingServiceError(f"routing service at {self.base_url} failed: {exc}") from exc
        if response.status_code != 200:
            raise RoutingServiceError(
                f"routing service answered HTTP {response.status_code}: {response.text[:200]}"
            )
        body: Any = response.json()
        if body.get("code") != "Ok":
            raise RoutingServiceError(
                f"routing service said {body.get('code')}: {body.get('message')}"
            )
        n = len(places)
        distances = _square(body.get("distances"), n, "distances")
        durations = _square(body.get("durations"), n, "durations")
        return TravelMatrix(distance_km=distances / 1000.0, duration_min=durations / 60.0)


def _square(rows: Any, n: int, label: str) -> NDArray[np.float64]:
    """Turn OSRM's nested list (``null`` when unreachable) into an ``n × n`` float array."""
    if not isinstance(rows, list) or len(rows) != n or any(len(r) != n for r in rows):
        raise RoutingServiceError(f"routing service returned no {n}×{n} {label} table")
    return np.array([[math.inf if v is None else float(v) for v in row] for row in rows])


def provider_from_url(
    url: str | None, *, circuity: float = 1.3, speed_kmh: float = 50.0, timeout: float = 10.0
) -> MatrixProvider:
    """Return the OSRM provider for ``url``, or haversine when ``url`` is empty."""
    if url:
        return OSRMTableProvider(base_url=url, timeout=timeout)
    return HaversineProvider(circuity=circuity, speed_kmh=speed_kmh)


def provider_from_env(environ: Mapping[str, str] | None = None) -> MatrixProvider:
    """Read ``HUB_ROUTING_URL``, ``HUB_ROUTING_CIRCUITY`` and ``HUB_ROUTING_SPEED_KMH``."""
    env = os.environ if environ is None else environ
    return provider_from_url(
        env.get("HUB_ROUTING_URL") or None,
        circuity=float(env.get("HUB_ROUTING_CIRCUITY", "1.3")),
        speed_kmh=float(env.get("HUB_ROUTING_SPEED_KMH", "50")),
    )
