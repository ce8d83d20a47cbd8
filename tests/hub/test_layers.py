"""The hub's layers: no import circle, and services only call the services of earlier domains.

The imports are read from the source (``ast``), those inside functions included, since an
import hidden in a function is still a circle.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "hub"
#: The order data flows in (STYLE.md): a domain's services may call those of earlier domains.
DOMAINS = (
    "notifications",
    "auth",
    "catalogue",
    "sites",
    "needs",
    "offers",
    "batches",
    "driver_routes",
    "matching_runs",
    "exports",
    "imports",
    "stats",
)
#: Modules of a domain that are not its services.
NOT_SERVICES = {"__init__", "models", "schemas", "endpoints"}
#: Shared layers every service may use: they import no service themselves.
LOWER = ("hub.rules", "hub.access", "hub.errors", "hub.i18n", "hub.events")


def _module(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


MODULES = {_module(p): p for p in HUB.rglob("*.py") if "migrations" not in p.parts}


def _imports(path: Path) -> Iterator[str]:
    """Every hub module ``path`` imports, at any depth of its code."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # ``from hub.x import y`` imports hub.x, and hub.x.y when y is a module.
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        yield from (name for name in names if name in MODULES)


GRAPH = {name: set(_imports(path)) - {name} for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def _service_domain(module: str) -> str | None:
    """The domain of a service module (``hub.batches.records``, ``hub.driver_routes.service.
    stops`` → its domain), else None (models, schemas, endpoints, shared modules)."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] in DOMAINS and parts[2] not in NOT_SERVICES:
        return parts[1]
    return None


def test_the_scan_sees_the_hub() -> None:
    """Guard against a vacuous pass: services and their imports were found."""
    assert "hub.batches.service" in GRAPH
    assert "hub.needs.service" in GRAPH["hub.batches.service"]


def test_no_import_circle() -> None:
    """No module reaches itself through imports, even through one inside a function."""
    assert _cycles() == []


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _service_domain(m)))
def test_services_call_only_earlier_domains(module: str) -> None:
    """A domain's services import the services of earlier domains only (never later ones)."""
    own = DOMAINS.index(_service_domain(module))  # type: ignore[arg-type]
    for target in GRAPH[module]:
        domain = _service_domain(target)
        if domain is not None and domain != _service_domain(module):
            assert DOMAINS.index(domain) < own, f"{module} imports {target}, a later domain"


@pytest.mark.parametrize("layer", LOWER)
def test_shared_layers_call_no_service(layer: str) -> None:
    """Rules, access, errors, words and events import no domain service."""
    for module, targets in GRAPH.items():
        if module == layer or module.startswith(f"{layer}."):
            services = [t for t in targets if _service_domain(t)]
            assert services == [], f"{module} imports {services}"


def test_rules_are_pure() -> None:
    """``hub.rules`` imports nothing of the hub but itself: no session, no web, no words."""
    for module, targets in GRAPH.items():
        if module.startswith("hub.rules"):
            assert all(t.startswith("hub.rules") for t in targets), (module, targets)
