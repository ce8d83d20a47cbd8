"""Matrix providers: haversine figures, and the OSRM table client against a fake server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from matching.routes import (
    Driver,
    HaversineProvider,
    OSRMTableProvider,
    Place,
    RoutingServiceError,
    Shipment,
    plan_routes,
    provider_from_env,
    provider_from_url,
)

PARIS, LYON = Place(2.3522, 48.8566), Place(4.8357, 45.7640)
FABLAB, PITIE = Place(2.3790, 48.8590), Place(2.3650, 48.8380)


def test_haversine_paris_lyon_with_circuity_and_speed() -> None:
    m = HaversineProvider().matrix([PARIS, LYON])
    # Great-circle Paris-Lyon is about 392 km.
    assert m.distance_km[0, 1] == pytest.approx(392.0 * 1.3, rel=0.01)
    assert m.duration_min[0, 1] == pytest.approx(m.distance_km[0, 1] / 50 * 60)
    assert m.distance_km[0, 0] == 0.0
    fast = HaversineProvider(circuity=1.0, speed_kmh=100).matrix([PARIS, LYON])
    assert fast.duration_min[1, 0] == pytest.approx(392.0 / 100 * 60, rel=0.01)


class _FakeOSRM(BaseHTTPRequestHandler):
    """Answers /table/v1/driving/...: 1 km and 2 minutes per index step; `null` to (9, 9)."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        path, _, query = self.path.partition("?")
        if not path.startswith("/table/v1/driving/") or "annotations=distance" not in query:
            self._send(400, {"code": "InvalidUrl", "message": "bad"})
            return
        coords = [c.split(",") for c in path.rsplit("/", 1)[1].split(";")]
        n = len(coords)
        dead = {i for i, (lon, _) in enumerate(coords) if float(lon) == 9.0}
        if any(float(lon) == 8.0 for lon, _ in coords):
            self._send(200, {"code": "NoTable", "message": "nothing here"})
            return

        def cell(i: int, j: int, unit: float) -> float | None:
            if i != j and (i in dead or j in dead):
                return None
            return abs(i - j) * unit

        self._send(
            200,
            {
                "code": "Ok",
                "distances": [[cell(i, j, 1000.0) for j in range(n)] for i in range(n)],
                "durations": [[cell(i, j, 120.0) for j in range(n)] for i in range(n)],
            },
        )

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def osrm_url() -> Iterator[str]:
    """A fake OSRM table service on a free local port."""
    server = HTTPServer(("127.0.0.1", 0), _FakeOSRM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeOSRM.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_osrm_table_is_read_in_km_and_minutes(osrm_url: str) -> None:
    provider = OSRMTableProvider(osrm_url)
    m = provider.matrix([Place(2.0, 48.0), Place(2.1, 48.1), Place(2.2, 48.2)])
    assert m.distance_km[0, 2] == pytest.approx(2.0)
    assert m.duration_min[2, 0] == pytest.approx(4.0)
    assert _FakeOSRM.requests[0].startswith(
        "/table/v1/driving/2.000000,48.000000;2.100000,48.100000;2.200000,48.200000?"
    )


def test_osrm_unreachable_is_infinite_and_errors_are_raised(osrm_url: str) -> None:
    m = OSRMTableProvider(osrm_url).matrix([Place(2.0, 48.0), Place(9.0, 9.0)])
    assert m.distance_km[0, 1] == float("inf")
    with pytest.raises(RoutingServiceError, match="NoTable"):
        OSRMTableProvider(osrm_url).matrix([Place(8.0, 48.0), Place(2.0, 48.0)])
    with pytest.raises(RoutingServiceError, match="HTTP 400"):
        OSRMTableProvider(osrm_url, profile="cycling").matrix([Place(2.0, 48.0)])


def test_osrm_down_is_a_clear_error() -> None:
    with pytest.raises(RoutingServiceError, match="failed"):
        OSRMTableProvider("http://127.0.0.1:9", timeout=0.5).matrix([PARIS, LYON])


def test_planner_uses_the_osrm_provider_from_the_environment(osrm_url: str) -> None:
    provider = provider_from_env({"HUB_ROUTING_URL": osrm_url})
    assert isinstance(provider, OSRMTableProvider)
    shipments = [Shipment("b", FABLAB, PITIE, 10)]
    drivers = [Driver("d", FABLAB, 20, available_minutes=120)]
    plan = plan_routes(shipments, drivers, matrix_provider=provider, seconds=0.2)
    assert _FakeOSRM.requests, "the planner did not call the routing service"
    # Unique places are FABLAB and PITIE: 1 km each way in the fake's metric.
    assert plan.routes[0].distance_km == pytest.approx(2.0)
    assert plan.routes[0].duration_min == pytest.approx(2 + 5 + 2 + 5)


def test_provider_from_url_defaults_to_haversine() -> None:
    assert provider_from_url(None) == HaversineProvider(1.3, 50.0)
    assert provider_from_url("") == HaversineProvider(1.3, 50.0)
    env = provider_from_env({"HUB_ROUTING_CIRCUITY": "1.2", "HUB_ROUTING_SPEED_KMH": "40"})
    assert env == HaversineProvider(1.2, 40.0)
