"""Prometheus metrics: what the hub counts, and ``/metrics``'s text.

Several processes: a counter lives in its process's memory, so each ``hub serve`` (one per
port, behind a proxy) is scraped on its own and Prometheus sums them. When one server runs
several workers on one port (``gunicorn -w N -k uvicorn.workers.UvicornWorker``), set
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder, the same for every worker, before they start:
prometheus-client then keeps counters and histograms in files there and ``/metrics`` sums
every worker's, whichever worker answers (the in-progress gauge sums the live workers). The
readings taken when scraped (live-stream clients, database pool) are those of the answering
worker: scrape each process for them, or run one process per port.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.notifications.service import Backlog
from hub.ops.context import EVENT_KINDS

# No ``*_created`` series: a timestamp per series that doubles the text and that Prometheus
# does not need (it sees counters reset).
disable_created_metrics()  # type: ignore[no-untyped-call]

REQUESTS = Counter(
    "hub_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "hub_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IN_PROGRESS = Gauge(
    "hub_requests_in_progress",
    "HTTP requests being served.",
    multiprocess_mode="livesum",
)
EVENTS = Counter(
    "hub_events",
    "Events appended and committed, by kind (rate() of it: events per second).",
    ["kind"],
)
MATCHER = Histogram(
    "hub_matcher_duration_seconds",
    "Time the matcher (matching.match) took per run.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
ROUTE_PLANNER = Histogram(
    "hub_route_planner_duration_seconds",
    "Time the driver route planner took per route.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)


@contextmanager
def timed(histogram: Histogram) -> Iterator[None]:
    """Observe the time the block takes in ``histogram`` (also when it raises)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe(time.perf_counter() - start)


@event.listens_for(Session, "after_commit")
def _count_committed_events(session: Session) -> None:
    # Counted at commit, not at append: a rolled-back write appended nothing.
    for kind in session.info.pop(EVENT_KINDS, ()):
        EVENTS.labels(kind).inc()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_events(session: Session) -> None:
    session.info.pop(EVENT_KINDS, None)


class LiveReadings(Collector):
    """Readings taken when scraped, from one app: live-stream clients, database pools and the
    notifications outbox (read from the database by the scrape, so the same in every process)."""

    def __init__(self, app: Any, outbox: Backlog | None = None) -> None:
        self.app = app
        self.outbox = outbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the gauges, read now."""
        live = getattr(self.app.state, "live", None)
        clients = GaugeMetricFamily(
            "hub_websocket_clients", "Live-stream (/ws/live) clients connected to this process."
        )
        clients.add_metric([], live.broadcaster.client_count if live is not None else 0)
        yield clients
        pool = GaugeMetricFamily(
            "hub_db_pool_connections",
            "Database connections of this process's pools: in use (checked_out), idle in the "
            "pool (idle), beyond the pool's size (overflow), and the pool's size (size).",
            labels=["engine", "state"],
        )
        db = self.app.state.db
        engines = [("write", db.engine)] + ([("read", db.read_engine)] if db.sqlite else [])
        for name, engine in engines:
            status = engine.pool
            for state, method in (
                ("checked_out", "checkedout"),
                ("idle", "checkedin"),
                ("overflow", "overflow"),
                ("size", "size"),
            ):
                read = getattr(status, method, None)
                if read is not None:
                    pool.add_metric([name, state], max(0, int(read())))
        yield pool
        if self.outbox is not None:
            backlog = GaugeMetricFamily(
                "hub_notifications_backlog",
                "Mails in the notifications outbox not sent yet and still to try (without "
                "HUB_SMTP_HOST they all wait here).",
            )
            backlog.add_metric([], self.outbox.waiting)
            yield backlog
            failed = GaugeMetricFamily(
                "hub_notifications_failed",
                "Mails the sender gave up on after its retries (their last_error says why).",
            )
            failed.add_metric([], self.outbox.failed)
            yield failed


def render(app: Any, outbox: Backlog | None = None) -> tuple[bytes, str]:
    """The metrics' text (Prometheus exposition format 0.0.4) and its content type.

    ``outbox``: the notifications backlog read by the caller (a collector cannot await).
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shared = CollectorRegistry()
        MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        text = generate_latest(shared)
    else:
        text = generate_latest(REGISTRY)
    own = CollectorRegistry(auto_describe=False)
    own.register(LiveReadings(app, outbox))
    return text + generate_latest(own), CONTENT_TYPE_LATEST
