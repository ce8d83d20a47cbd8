"""Mount the dashboard's routes on the application."""

from __future__ import annotations

from fastapi import FastAPI

from dashboards.stream import router as stream_router


def include_dashboards(app: FastAPI) -> None:
    """Add the live stream, the page and its JSON endpoints to the app."""
    app.include_router(stream_router)
