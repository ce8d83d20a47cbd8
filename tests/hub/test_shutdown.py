"""SIGTERM on a real ``hub serve``: websockets told to reconnect (1012), writes kept whole."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import websockets
from support.server import HubProcess

from hub.timeutil import today

SERVICE_RESTART = 1012


def _headers(base: str) -> tuple[dict[str, str], int]:
    """A hospital's staff member and the hospital (pending: it may post needs already)."""
    r = httpx.post(
        f"{base}/api/v1/auth/signup",
        json={"email": "staff@example.org", "password": "long enough pw", "name": "S",
              "role": "hospital_staff"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    hospital = httpx.post(
        f"{base}/api/v1/hospitals",
        json={"name": "CHU", "kind": "hospital", "address": "Bd", "lat": 45.2, "lon": 5.74},
        headers=headers,
    )
    assert hospital.status_code == 201, hospital.text
    return headers, int(hospital.json()["id"])


def _exited_cleanly(server: HubProcess, timeout: float = 30) -> bool:
    """The server finished its shutdown and exited, by itself, within ``timeout``.

    uvicorn re-raises the signal it handled once it has shut down, so the status is that of
    SIGTERM (which systemd and Kubernetes count as a clean stop), or 0.
    """
    assert server.proc is not None
    code = server.proc.wait(timeout=timeout)
    return code in (0, -signal.SIGTERM) and "Finished server process" in server.log_text()


async def test_sigterm_tells_websocket_clients_to_reconnect(
    sqlite_database_url: str, serve_hub: Callable[..., HubProcess]
) -> None:
    """A connected dashboard gets close code 1012 (service restart), and the hub exits 0."""
    server = serve_hub(sqlite_database_url, live_heartbeat_seconds=30)
    async with websockets.connect(f"ws://{server.host}/ws/live?area=FR") as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] == "snapshot"
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == SERVICE_RESTART
    assert await asyncio.to_thread(_exited_cleanly, server)
    # The log is JSON lines, the shutdown included.
    lines = [json.loads(line) for line in server.log_text(100_000).splitlines() if line.strip()]
    assert any("Shutting down" in line["message"] for line in lines)


def test_sigterm_during_writes_acknowledges_only_what_is_stored(
    sqlite_database_url: str, serve_hub: Callable[..., HubProcess], tmp_path: Path
) -> None:
    """Writers in flight at SIGTERM: each acknowledged need is stored, none is cut in half.

    Requests already being served when the signal comes are finished and answered (uvicorn's
    graceful shutdown); new connections are refused, so they are never acknowledged.
    """
    server = serve_hub(sqlite_database_url)
    headers, hospital_id = _headers(server.url)
    body = {
        "hospital_id": hospital_id,
        "design": "face-shield-prusa-rc3",
        "quantity": 7,
        "needed_by": (today() + timedelta(days=5)).isoformat(),
        "priority": "high",
    }
    signalled = threading.Event()
    acknowledged: list[tuple[int, float, float]] = []
    refused: list[str] = []
    other: list[str] = []
    lock = threading.Lock()

    def writer() -> None:
        # A client per request: keep-alive would hide the server's refusal to take new work.
        while True:
            sent = time.monotonic()
            try:
                r = httpx.post(f"{server.url}/api/v1/needs", json=body, headers=headers, timeout=30)
            except httpx.TransportError as exc:
                with lock:
                    refused.append(type(exc).__name__)
                if signalled.is_set():
                    return
                continue
            with lock:
                if r.status_code == 201:
                    acknowledged.append((int(r.json()["id"]), sent, time.monotonic()))
                else:
                    other.append(f"{r.status_code} {r.text[:200]}")
            if signalled.is_set() and time.monotonic() - signal_time[0] > 5:
                return

    signal_time = [0.0]
    threads = [threading.Thread(target=writer) for _ in range(12)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    assert server.proc is not None
    signal_time[0] = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    signalled.set()
    for t in threads:
        t.join(timeout=60)
    assert _exited_cleanly(server)
    assert other == [], other[:5]
    assert refused, "no request was refused after SIGTERM"
    # Some requests were in flight when the signal came, and were still answered.
    in_flight = [a for a in acknowledged if a[1] < signal_time[0] < a[2]]
    assert in_flight, "no request was in flight at SIGTERM"
    path = sqlite_database_url.split("///", 1)[1]
    with sqlite3.connect(path) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM needs")}
        created = {
            row[0] for row in conn.execute("SELECT entity_id FROM events WHERE kind='need.created'")
        }
    ids = {a[0] for a in acknowledged}
    assert ids <= stored, f"acknowledged but lost: {sorted(ids - stored)[:10]}"
    # Every stored need has its event: no write was cut between its row and its event.
    assert stored == created
