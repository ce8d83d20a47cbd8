"""Every event kind has words, on the server and in the dashboard's feed alike."""

import ast
import re
from pathlib import Path

import pytest

from hub.events.kinds import KINDS, UnknownEventKind, check_kind

ROOT = Path(__file__).resolve().parents[3]
FEED = ROOT / "hub" / "web" / "static" / "dashboard.js"


def test_the_feed_names_the_same_kinds_with_the_same_words() -> None:
    script = FEED.read_text(encoding="utf-8")
    start = script.index("const KINDS = {")
    table = script[start : script.index("};", start)]
    feed = dict(re.findall(r'"([a-z_]+\.[a-z_]+)": _\("([^"]+)"\)', table))
    assert feed == {kind: words.text for kind, words in KINDS.items()}


# What an event kind looks like in the code: its entity, a dot, what happened.
KIND_SHAPE = re.compile(r"(need|batch|hospital|lab|route|matching)\.[a-z_]+")


def _kinds_written_as_literals() -> set[str]:
    """String constants of the hub's code shaped like a kind (f-strings are checked at run time
    by ``append`` itself), wherever they are passed: keyword or positional."""
    found = set()
    for path in (ROOT / "hub").rglob("*.py"):
        if path.name == "kinds.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and KIND_SHAPE.fullmatch(text):
                found.add(text)
    return found


def test_every_literal_kind_in_the_code_has_words() -> None:
    written = _kinds_written_as_literals()
    assert written, "the scan found no event kind: it no longer reads the code"
    assert written <= set(KINDS), written - set(KINDS)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownEventKind):
        check_kind("batch.teleported")
    check_kind("batch.ready")
