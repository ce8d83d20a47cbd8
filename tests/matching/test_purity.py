"""matching/ and designs/ stay pure: no web framework, no database, no hub."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"hub", "fastapi", "sqlalchemy", "starlette"}
SOURCES = sorted(p for pkg in ("matching", "designs") for p in (ROOT / pkg).rglob("*.py"))


def imported_roots(tree: ast.AST) -> set[str]:
    """Top-level package names of every import statement in ``tree``."""
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_sources_were_found() -> None:
    """Guard against a vacuous pass: the matcher's modules are scanned."""
    assert ROOT / "matching" / "solve.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_web_or_database_imports(path: Path) -> None:
    """Every module under matching/ and designs/ imports none of the forbidden packages."""
    bad = imported_roots(ast.parse(path.read_text(encoding="utf-8"))) & FORBIDDEN
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_detector_catches_forbidden_imports() -> None:
    """The checker itself flags plain, dotted and from-imports."""
    src = "import fastapi\nfrom sqlalchemy.orm import Session\nimport hub.db as db\n"
    assert imported_roots(ast.parse(src)) >= {"fastapi", "sqlalchemy", "hub"}
