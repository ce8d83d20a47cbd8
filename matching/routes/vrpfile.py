"""Read VRPLIB PDPTW instances (Li & Lim) and read or write their ``.sol`` files.

A small reader of our own: the format is plain text, and owning it keeps the checker
independent of the solver's parser.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from matching.routes.instance import Instance, Request, Solution, Vehicle


def _sections(text: str) -> tuple[dict[str, str], dict[str, list[list[str]]]]:
    """Split VRPLIB text into ``KEY: value`` headers and ``*_SECTION`` row lists."""
    headers: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if line.endswith("_SECTION"):
            current = sections.setdefault(line, [])
        elif ":" in line and not line[0].isdigit() and not line.startswith("-"):
            key, _, value = line.partition(":")
            headers[key.strip()] = value.strip()
            current = None
        elif current is not None:
            current.append(line.split())
    return headers, sections


def read_instance(path: str | Path) -> Instance:
    """Read a VRPLIB PDPTW file; node ``i`` of the result is node id ``i + 1`` of the file."""
    path = Path(path)
    headers, sections = _sections(path.read_text())
    if "PICKUP_AND_DELIVERY_SECTION" not in sections:
        raise ValueError(f"{path}: no PICKUP_AND_DELIVERY_SECTION, not a PDPTW instance")
    coords = np.array([[float(x), float(y)] for _, x, y in sections["NODE_COORD_SECTION"]])
    diff = coords[:, None, :] - coords[None, :, :]
    # EUC_2D without rounding, as the Li & Lim best-known costs are computed.
    dist = np.sqrt((diff**2).sum(axis=2))
    rows = sections["PICKUP_AND_DELIVERY_SECTION"]
    n = len(coords)
    if len(rows) != n:
        raise ValueError(f"{path}: {len(rows)} pickup-and-delivery rows for {n} nodes")
    early = np.zeros(n)
    late = np.zeros(n)
    service = np.zeros(n)
    requests = []
    for row in rows:
        node = int(row[0]) - 1
        demand = int(row[1])
        early[node], late[node], service[node] = float(row[2]), float(row[3]), float(row[4])
        delivery = int(row[6])
        if demand > 0 or (delivery > 0 and int(row[5]) == 0):
            requests.append(Request(pickup=node, delivery=delivery - 1, quantity=demand))
    depots = [int(r[0]) - 1 for r in sections.get("DEPOT_SECTION", [["1"]]) if int(r[0]) > 0]
    depot = depots[0] if depots else 0
    capacity = int(headers["CAPACITY"])
    fleet = int(headers.get("VEHICLES", str(len(requests))))
    vehicle = Vehicle(
        start=depot,
        end=depot,
        capacity=capacity,
        shift_start=float(early[depot]),
        shift_end=float(late[depot]),
    )
    return Instance(
        distance=dist,
        duration=dist.copy(),
        early=early,
        late=late,
        service=service,
        requests=tuple(sorted(requests, key=lambda r: r.pickup)),
        vehicles=(vehicle,) * fleet,
        name=headers.get("NAME", path.stem),
    )


def format_solution(instance: Instance, solution: Solution) -> str:
    """Format the non-empty routes and the cost (distance × 1000, rounded) as a ``.sol`` text."""
    lines = []
    k = 0
    for route in solution.routes:
        if route:
            k += 1
            lines.append(f"Route #{k}: " + " ".join(str(node) for node in route))
    lines.append(f"Cost {round(solution.distance(instance) * 1000)}")
    return "\n".join(lines) + "\n"


def read_solution(path: str | Path) -> tuple[Solution, int | None]:
    """Read a ``.sol`` file: its routes, and the stated cost if any."""
    routes: list[tuple[int, ...]] = []
    cost: int | None = None
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if line.startswith("Route"):
            _, _, nodes = line.partition(":")
            routes.append(tuple(int(x) for x in nodes.split()))
        elif line.startswith("Cost"):
            cost = math.floor(float(line.split()[1]) + 0.5)
    return Solution(routes=tuple(routes)), cost
