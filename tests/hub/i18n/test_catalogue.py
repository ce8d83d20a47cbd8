"""The one catalogue: every marked text has its French, and the pages get exactly the .po."""

import json
import string

import httpx
import pytest

from hub.i18n import N_, _, codes, render
from hub.i18n.catalogue import plural_tags, read_catalogue
from hub.i18n.extract import template, updated
from hub.rules.states import BatchState


def test_every_marked_text_has_a_french_translation() -> None:
    """New text must come with its French: run scripts/update_catalogue.py and translate."""
    catalogue = updated("fr")
    untranslated = [
        m.id for m in catalogue if m.id and (not m.string or not all(m.string) or m.fuzzy)
    ]
    assert untranslated == []


def test_the_po_file_is_up_to_date_with_the_code() -> None:
    """No text in the code is missing from the .po, and the .po keeps no unused text."""
    found = {(m.id, m.context) for m in template() if m.id}
    current = read_catalogue("fr")
    assert current is not None
    kept = {(m.id, m.context) for m in current if m.id}
    assert found - kept == set(), "run scripts/update_catalogue.py"
    assert kept - found == set(), "run scripts/update_catalogue.py"


def test_french_plural_forms_follow_babel() -> None:
    """Plural forms come from the catalogue's rules: 0 and 1 singular in French."""
    units = N_("{n} unit", "{n} units", "n")
    assert plural_tags("fr") == ["one", "many", "other"]
    assert render(units, {"n": 1}, "en") == "1 unit"
    assert render(units, {"n": 0}, "en") == "0 units"


def test_values_are_shown_the_readers_way() -> None:
    """Numbers group by locale, ids stay as typed, states become words, lists use "or"."""
    message = _("Need {id} has {left} left, it is {state}, only when {allowed}.")
    params = {
        "id": 12345,
        "left": 12345,
        "state": BatchState.PICKED_UP,
        "allowed": codes([BatchState.PROPOSED, BatchState.READY]),
    }
    english = render(message, params, "en")
    assert english == "Need 12345 has 12,345 left, it is picked up, only when proposed or ready."


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_pages_catalogue_is_the_po_file(client: httpx.AsyncClient, lang: str) -> None:
    """``/i18n/LANG.json`` holds every translated text of the .po, and nothing else."""
    r = await client.get(f"/i18n/{lang}.json")
    assert r.status_code == 200
    assert "immutable" in r.headers["cache-control"]
    served = json.loads(r.content)["messages"]
    expected: dict[str, object] = {}
    for m in read_catalogue(lang) or ():  # type: ignore[arg-type]
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        if m.context:
            key = f"{m.context}\u0004{key}"
        tags = plural_tags(lang)  # type: ignore[arg-type]
        expected[key] = (
            dict(zip(tags, m.string, strict=True)) if isinstance(m.id, tuple) else m.string
        )
    assert served == expected
    if lang == "fr":
        assert served["batch state\u0004picked up"] == "en route"


async def test_an_unknown_catalogue_is_a_404(client: httpx.AsyncClient) -> None:
    """Only the hub's languages have a catalogue."""
    r = await client.get("/i18n/de.json", headers={"Accept-Language": "fr"})
    assert r.status_code == 404
    assert r.json()["detail"] == "Il n’y a pas de catalogue pour de."


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_translation_fills_the_same_fields() -> None:
    """A translation uses exactly the ``{fields}`` of its English, or it would fail to format
    or drop a figure the reader needs."""
    catalogue = read_catalogue("fr")
    assert catalogue is not None
    for m in catalogue:
        if not m.id:
            continue
        english = m.id if isinstance(m.id, tuple) else (m.id,)
        french = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set().union(*(_fields(e) for e in english))
        for text in french:
            assert _fields(text) == wanted, (m.id, text)
