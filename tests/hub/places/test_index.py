"""The offline commune index: postcodes, INSEE codes, names typed loosely, and its speed."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.places.index import fold, place_index


@pytest.mark.parametrize(
    "query",
    ["st etienne", "Saint-Étienne", "SAINT ETIENNE", "saint-etienne", "St-Étienne", "42000"],
)
def test_saint_etienne_however_typed(query: str) -> None:
    hits = place_index().search(query)
    assert hits[0].commune.insee == "42218"
    assert hits[0].commune.departement == "42" and hits[0].commune.region == "84"


def test_postcode_gives_every_commune_sharing_it_and_labels_with_it() -> None:
    hits = place_index().search("38700", limit=20)
    assert {h.commune.insee for h in hits} >= {"38516", "38126"}  # La Tronche, Corenc
    assert all(h.postcode == "38700" for h in hits)
    assert place_index().search("38700 La Tronche")[0].label == "38700 La Tronche"


def test_sainte_and_accents_and_insee_code() -> None:
    assert place_index().search("ste foy les lyon")[0].commune.insee == "69202"
    assert place_index().search("Châlons en champagne")[0].commune.insee == "51108"
    assert place_index().search("2A004")[0].commune.name == "Ajaccio"
    assert place_index().search("97411")[0].commune.departement == "974"


def test_a_second_postcode_of_a_commune_is_its_label() -> None:
    hit = place_index().search("42100")[0]
    assert hit.commune.insee == "42218" and hit.label == "42100 Saint-Étienne"


def test_an_address_finds_its_commune_loosely_not_strictly() -> None:
    index = place_index()
    assert index.search("12 rue des Alpes 38700 La Tronche") == []
    assert index.search_loose("12 rue des Alpes 38700 La Tronche")[0].commune.insee == "38516"


def test_nothing_for_nonsense() -> None:
    assert place_index().search("xyzzyq") == []
    assert place_index().search("   ") == []


def test_fold() -> None:
    assert fold("St-Étienne-du-Rouvray") == ["saint", "etienne", "du", "rouvray"]
    assert fold("L'Haÿ-les-Roses") == ["l", "hay", "les", "roses"]
    assert fold("Ste Œuvre") == ["sainte", "oeuvre"]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=34_000))
def test_every_commune_is_found_by_its_name_and_its_postcode(i: int) -> None:
    index = place_index()
    commune = index.communes[i % len(index.communes)]
    by_name = index.search(commune.name, limit=500)
    assert commune.insee in {h.commune.insee for h in by_name}
    if commune.postcodes:
        by_code = index.search(f"{commune.postcodes[0]} {commune.name}", limit=500)
        assert commune.insee in {h.commune.insee for h in by_code}


def test_the_index_agrees_with_a_linear_scan() -> None:
    index = place_index()
    for query in ("saint etienne", "38700", "la tronche", "paris", "ste marie"):
        fast = {h.commune.insee for h in index.search(query, limit=100_000)}
        slow = {h.commune.insee for h in index.linear_search(query, limit=100_000)}
        assert fast == slow, query
