"""Find a French commune by postcode, INSEE code or name, offline, from ``places.json.gz``.

The file is built by ``scripts/build_geodata.py --only places`` and read once, on first use,
into an in-memory index: every prefix of every word of every commune name maps to the
communes holding it, and every postcode and INSEE code (and their prefixes) to theirs. A query
is folded the same way as the names (case, accents, hyphens and apostrophes, "St"/"Ste" as
"Saint"/"Sainte"), then each of its words picks a list of communes and the shortest lists are
intersected: no scan of the 35,000 communes.

Pure: no database and no web imports.
"""

from __future__ import annotations

import gzip
import heapq
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "geo" / "data" / "places.json.gz"
MAX_QUERY_CHARS = 200
# Short abbreviations people type for the words of French commune names.
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> list[str]:
    """Fold text into search words: lower case, no accents, no punctuation, St -> saint."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return [ABBREVIATIONS.get(w, w) for w in _NOT_WORD.split(plain) if w]


def _is_code(word: str) -> bool:
    """A postcode or INSEE code (or its first digits); a lone digit is a word ("3e")."""
    return (word.isdigit() and len(word) >= 2) or (len(word) == 5 and word[:2] in ("2a", "2b"))


@dataclass(frozen=True)
class Commune:
    """One commune (or municipal arrondissement) of the places file."""

    insee: str
    name: str
    departement: str
    region: str
    lat: float
    lon: float
    postcodes: tuple[str, ...]
    population: int
    words: tuple[str, ...]
    folded: str  # the words joined by spaces, for ranking


@dataclass(frozen=True)
class Hit:
    """A commune found for a query, with the postcode that matched (or its first one)."""

    commune: Commune
    postcode: str | None

    @property
    def label(self) -> str:
        """``38700 La Tronche``: what a person reads and what an address would end with."""
        return f"{self.postcode} {self.commune.name}" if self.postcode else self.commune.name


class PlaceIndex:
    """Prefix index over commune names, postcodes and INSEE codes."""

    def __init__(self, communes: Iterable[Commune], departements: dict[str, str]) -> None:
        """Index the communes once; lookups never scan them."""
        self.communes = list(communes)
        self.departements = departements
        self.by_insee: dict[str, int] = {}
        self._words: dict[str, list[int]] = {}
        self._codes: dict[str, list[int]] = {}
        for i, c in enumerate(self.communes):
            self.by_insee[c.insee] = i
            for word in set(c.words):
                for end in range(1, len(word) + 1):
                    self._words.setdefault(word[:end], []).append(i)
            for code in {c.insee, *c.postcodes}:
                for end in range(2, len(code) + 1):
                    bucket = self._codes.setdefault(code[:end], [])
                    if not bucket or bucket[-1] != i:
                        bucket.append(i)

    def _candidates(self, word: str) -> list[int]:
        """Communes whose name has a word starting with ``word``, or a code starting with it."""
        if _is_code(word):
            return self._codes.get(word.upper(), [])
        return self._words.get(word, [])

    @staticmethod
    def _has(c: Commune, word: str) -> bool:
        """Whether a commune matches one query word (the rule the index encodes)."""
        if _is_code(word):
            code = word.upper()
            return c.insee.startswith(code) or any(p.startswith(code) for p in c.postcodes)
        return any(w.startswith(word) for w in c.words)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Communes matching every word of ``query``, best first (exact name, then prefix,
        then population)."""
        words = fold(query)
        if not words:
            return []
        lists = sorted(((self._candidates(w), w) for w in words), key=lambda lw: len(lw[0]))
        if not lists[0][0]:
            return []
        # Start from the shortest list and test the other words on each of its communes:
        # cheaper than intersecting with lists of thousands ("saint", "la").
        others = [w for _, w in lists[1:]]
        found = [i for i in lists[0][0] if all(self._has(self.communes[i], w) for w in others)]
        if not found:
            return []
        codes = [w.upper() for w in words if _is_code(w)]
        name_words = [w for w in words if not _is_code(w)]
        joined = " ".join(name_words)

        def rank(i: int) -> tuple[int, int, int, int]:
            c = self.communes[i]
            name = c.folded
            exact_code = any(code in c.postcodes or code == c.insee for code in codes)
            return (
                int(bool(joined) and name == joined),
                int(bool(joined) and name.startswith(joined)),
                int(exact_code),
                c.population,
            )

        best = heapq.nlargest(limit, found, key=rank)
        return [Hit(self.communes[i], self._postcode(self.communes[i], codes)) for i in best]

    def search_loose(self, query: str, limit: int = 10) -> list[Hit]:
        """Like :meth:`search`, dropping leading words until something matches: an address
        ("12 rue des Alpes 38700 La Tronche") ends with its commune."""
        words = query.split()
        for start in range(len(words)):
            hits = self.search(" ".join(words[start:]), limit)
            if hits:
                return hits
        return []

    @staticmethod
    def _postcode(commune: Commune, codes: list[str]) -> str | None:
        for code in codes:
            for postcode in commune.postcodes:
                if postcode.startswith(code):
                    return postcode
        return commune.postcodes[0] if commune.postcodes else None

    def commune(self, insee: str) -> Commune | None:
        """The commune with this INSEE code, if any."""
        i = self.by_insee.get(insee)
        return None if i is None else self.communes[i]

    def linear_search(self, query: str, limit: int = 10) -> list[Hit]:
        """The same answer as :meth:`search` by scanning every commune (for the benchmark)."""
        words = fold(query)
        if not words:
            return []
        found = [c for c in self.communes if all(self._has(c, w) for w in words)]
        found.sort(key=lambda c: -c.population)
        return [Hit(c, None) for c in found[:limit]]


def read_places(path: Path = DATA_FILE) -> tuple[list[Commune], dict[str, str], dict[str, str]]:
    """Read the places file: communes, département names and région names by code."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    communes = [
        Commune(
            insee=insee,
            name=name,
            departement=dep,
            region=region,
            lat=lat,
            lon=lon,
            postcodes=tuple(postcodes),
            population=pop,
            words=tuple(fold(name)),
            folded=" ".join(fold(name)),
        )
        for insee, name, dep, region, lat, lon, postcodes, pop in doc["communes"]
    ]
    return communes, doc["departements"], doc["regions"]


@cache
def place_index() -> PlaceIndex:
    """The index of the shipped places file, built on first use (about a second)."""
    communes, departements, _ = read_places()
    return PlaceIndex(communes, departements)
