"""Routers are included busiest first (hub.main): proven harmless here, since no request
could be answered by routes of two different routers, whatever their order."""

import re
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import compile_path

from dashboards.endpoints import api as dashboard_api
from dashboards.stream import router as stream_router
from hub.main import API_ROUTERS
from hub.ops.endpoints import router as operations_router
from hub.web.endpoints import pages

Routers = list[tuple[str, APIRouter, str]]
HUB_ROUTERS: Routers = [
    *((f"api:{i}", router, "/api/v1") for i, router in enumerate(API_ROUTERS)),
    ("pages", pages, ""),
    ("live stream", stream_router, ""),
    ("dashboard api", dashboard_api, ""),
    ("operations", operations_router, ""),
]
#: A value each path convertor accepts.
SAMPLES = {"str": "x", "int": "7", "float": "7.5", "path": "x/y", "uuid": "0" * 32}


def _sample(path: str) -> str:
    return re.sub(r"{[^}:]+(?::(\w+))?}", lambda m: SAMPLES[m.group(1) or "str"], path)


def _routes(routers: Routers) -> list[tuple[str, str, str, set[str], Any]]:
    """(router name, full path, kind, methods, regex) of every route."""
    found = []
    for name, router, prefix in routers:
        for route in router.routes:
            path = prefix + route.path
            if isinstance(route, APIRoute):
                kind, methods = "http", set(route.methods)
            else:
                assert isinstance(route, APIWebSocketRoute), route
                kind, methods = "websocket", {"WS"}
            found.append((name, path, kind, methods, compile_path(path)[0]))
    return found


def _clashes(routers: Routers) -> list[str]:
    """Requests that routes of two routers would both answer (a sample of each route's path,
    its parameters filled in, against every other router's routes)."""
    routes = _routes(routers)
    found = []
    for name, path, kind, methods, _ in routes:
        sample = _sample(path)
        for other, other_path, other_kind, other_methods, regex in routes:
            both = methods & other_methods
            if other != name and kind == other_kind and both and regex.match(sample):
                found.append(f"{sorted(both)} {sample}: {path} ({name}), {other_path} ({other})")
    return found


async def test_the_check_reads_every_route_of_the_api(client: httpx.AsyncClient) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in (await client.get("/openapi.json")).json()["paths"].items()
        for method in operations
    }
    read = {(m, path) for _, path, _, methods, _ in _routes(HUB_ROUTERS) for m in methods}
    assert documented and documented <= read


def test_no_request_matches_routes_of_two_routers() -> None:
    assert _clashes(HUB_ROUTERS) == []


def test_the_check_finds_a_static_path_under_another_routers_parameter() -> None:
    first, second, third = APIRouter(), APIRouter(), APIRouter()
    first.add_api_route("/needs/{need_id}", lambda need_id: None, methods=["GET"])
    second.add_api_route("/needs/export", lambda: None, methods=["GET", "POST"])
    third.add_api_route("/needs/{need_id}", lambda need_id: None, methods=["DELETE"])
    routers: Routers = [("first", first, ""), ("second", second, ""), ("third", third, "")]
    assert _clashes(routers) == [
        "['GET'] /needs/export: /needs/export (second), /needs/{need_id} (first)"
    ]
