"""Find every text marked for the catalogue, and bring the French ``.po`` file up to date.

Run ``python scripts/update_catalogue.py`` after adding or changing a message: new texts
appear in ``messages.po`` with an empty translation for a translator to fill, and texts no
longer used are dropped. The catalogue test fails while any text is untranslated.
"""

from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from hub.i18n.catalogue import DOMAIN, po_path, read_catalogue

ROOT = Path(__file__).resolve().parents[2]
#: Where marked text lives, and how each kind of file is read.
SOURCES = ("hub", "dashboards")
METHODS = [
    ("**/migrations/**", "ignore"),
    ("**.py", "python"),
    ("hub/web/templates/**.html", "jinja2"),
    ("hub/web/static/**.js", "javascript"),
]
#: The marker functions: Python's ``_``, ``N_`` and ``C_`` (see ``hub.i18n.message``), the
#: templates' ``_`` and ``ngettext``, and the pages' ``_``, ``ngettext`` and ``pgettext``.
KEYWORDS = {
    "_": None,
    "N_": (1, 2),
    "C_": ((1, "c"), 2),
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}


def _extracted() -> Iterator[tuple[str, int, str | tuple[str, ...], str | None]]:
    for source in SOURCES:
        method_map = [(pattern.removeprefix(f"{source}/"), m) for pattern, m in METHODS]
        for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT / source, method_map=method_map, keywords=KEYWORDS, strip_comment_tags=True
        ):
            yield f"{source}/{filename}", lineno, message, context


def _new(locale: str | None = None) -> Catalog:
    return Catalog(
        locale=locale,
        domain=DOMAIN,
        project="the hub",
        version="1",
        copyright_holder="the hub's contributors",
        fuzzy=False,
    )


def template() -> Catalog:
    """Every marked text of the hub, as a catalogue template (no translations)."""
    catalogue = _new()
    for filename, lineno, message, context in _extracted():
        catalogue.add(message, locations=[(filename, lineno)], context=context)
    return catalogue


def updated(lang: str = "fr") -> Catalog:
    """``lang``'s catalogue merged with the texts found now (new ones untranslated)."""
    current = read_catalogue(lang)
    if current is None:
        current = _new(lang)
    found = template()
    # Keep the header's dates, so that an update changes only the texts.
    found.creation_date = current.creation_date
    current.update(found, no_fuzzy_matching=True)
    current.obsolete.clear()
    return current


def write(catalogue: Catalog, lang: str = "fr") -> Path:
    """Write ``catalogue`` as ``lang``'s ``.po`` file, sorted by text for stable diffs."""
    path = po_path(lang)  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalogue, width=100, sort_output=True, include_lineno=False)
    return path
