"""Read the FINESS open-data extraction as published ("etalab-cs1100507-stock-*.csv").

The layout, as published on data.gouv.fr ("FINESS Extraction du Fichier des établissements",
file ``etalab-cs1100507-stock-YYYYMMDD-HHMM.csv``) and as read by the public scripts that use
it (for instance the readers declaring ``headers = ['section', 'nofinesset', 'nofinessej', 'rs',
..., 'numuai']`` and ``geoloc_names = ['nofinesset', 'coordxet', 'coordyet', 'sourcecoordet',
'datemaj']`` with ``sep=';', encoding='Windows-1252', skiprows=1``):

- Windows-1252 text, ``;``-separated, no quoting, no header row of column names;
- line 1: ``finess;etalab;<number>;<date>``, a line about the extraction itself;
- ``structureet`` lines: 32 fields, ``structureet;nofinesset;nofinessej;rs;rslongue;complrs;
  compldistrib;numvoie;typvoie;voie;compvoie;lieuditbp;commune;departement;libdepartement;
  ligneacheminement;telephone;telecopie;categetab;libcategetab;categagretab;libcategagretab;
  siret;codeape;codemft;libmft;codesph;libsph;dateouv;dateautor;datemaj;numuai``;
- ``geolocalisation`` lines: ``geolocalisation;nofinesset;coordxet;coordyet;sourcecoordet;
  datemaj``, in metres: Lambert-93 (EPSG:2154) in metropolitan France, UTM overseas. The
  source field ends with the system's name (``LAMBERT_93``, ``UTM_N20``...); when it does not,
  the département decides.

FINESS writes overseas départements as ``9A`` (Guadeloupe) to ``9F`` (Mayotte) and the commune
as a three-character code, so the INSEE code is ``97`` + commune there and département +
commune elsewhere.

Pure: pyproj only, no database and no web imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from hub.errors import Invalid
from hub.i18n import Message, _

if TYPE_CHECKING:
    from pyproj import Transformer

STRUCTURE_FIELDS = (  # noqa: SIM905
    "structureet nofinesset nofinessej rs rslongue complrs compldistrib numvoie typvoie voie "
    "compvoie lieuditbp commune departement libdepartement ligneacheminement telephone "
    "telecopie categetab libcategetab categagretab libcategagretab siret codeape codemft "
    "libmft codesph libsph dateouv dateautor datemaj numuai"
).split()
GEO_FIELDS = ("geolocalisation", "nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemaj")
# FINESS's overseas département codes -> INSEE's.
OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}
# The projected system of each territory, by INSEE département (metropolitan: Lambert-93).
EPSG_BY_DEPARTEMENT = {
    "971": 5490,  # RGAF09 / UTM zone 20N (Guadeloupe, and Saint-Barthélemy, Saint-Martin)
    "972": 5490,  # Martinique
    "973": 2972,  # RGFG95 / UTM zone 22N
    "974": 2975,  # RGR92 / UTM zone 40S
    "975": 4467,  # RGSPM06 / UTM zone 21N
    "976": 4471,  # RGM04 / UTM zone 38S
}
EPSG_BY_SOURCE = {
    "LAMBERT_93": 2154,
    "UTM_N20": 5490,
    "UTM_N21": 4467,
    "UTM_N22": 2972,
    "UTM_S38": 4471,
    "UTM_S40": 2975,
}
LAMBERT_93 = 2154
FINESS_CHARS = frozenset("0123456789AB")


class LayoutError(Invalid):
    """The file is not a FINESS extraction: ``line`` (1-based) and the message say where, why."""

    def __init__(self, line: int, message: Message, **params: object) -> None:
        self.line = line
        super().__init__(message, line=line, **params)


@dataclass
class Establishment:
    """A ``structureet`` line, with its point once the ``geolocalisation`` line is read."""

    number: str
    legal_number: str
    name: str
    address: str
    postcode: str | None
    city: str | None
    citycode: str | None
    departement: str | None
    phone: str | None
    category_code: str | None
    category: str | None
    siret: str | None
    lat: float | None = None
    lon: float | None = None


@cache
def _transformer(epsg: int) -> Transformer:
    from pyproj import Transformer

    # always_xy: (x, y) in, (lon, lat) out, whatever the systems' axis order.
    return Transformer.from_crs(epsg, 4326, always_xy=True)


def to_wgs84(x: float, y: float, epsg: int) -> tuple[float, float]:
    """Convert projected metres to (lon, lat) degrees."""
    lon, lat = _transformer(epsg).transform(x, y)
    return float(lon), float(lat)


def _text(value: str) -> str | None:
    value = value.strip()
    return value or None


def _address(f: dict[str, str]) -> str:
    street = " ".join(
        part for part in (f["numvoie"], f["compvoie"], f["typvoie"], f["voie"]) if part.strip()
    )
    parts = [street, f["lieuditbp"].strip(), f["ligneacheminement"].strip()]
    return ", ".join(p for p in parts if p)


def _structure(fields: list[str], line: int) -> Establishment:
    if len(fields) != len(STRUCTURE_FIELDS):
        raise LayoutError(
            line,
            _("Line {line}: a structureet line has {expected} fields, this one has {found}."),
            expected=len(STRUCTURE_FIELDS),
            found=len(fields),
        )
    f = dict(zip(STRUCTURE_FIELDS, fields, strict=True))
    number = f["nofinesset"].strip()
    if len(number) != 9 or not set(number) <= FINESS_CHARS:
        raise LayoutError(
            line, _("Line {line}: {number} is not a FINESS number (9 characters)."), number=number
        )
    dep = f["departement"].strip()
    dep = OVERSEAS.get(dep, dep)
    commune = f["commune"].strip()
    citycode = None
    if commune:
        citycode = ("97" + commune) if dep.startswith("97") else (dep + commune)
    routing = f["ligneacheminement"].strip()
    postcode, _sep, city = routing.partition(" ")
    return Establishment(
        number=number,
        legal_number=f["nofinessej"].strip(),
        name=(f["rslongue"].strip() or f["rs"].strip())[:200],
        address=_address(f)[:400],
        postcode=postcode if postcode.isdigit() else None,
        city=_text(city),
        citycode=citycode if citycode and len(citycode) == 5 else None,
        departement=dep or None,
        phone=_text(f["telephone"]),
        category_code=_text(f["categetab"]),
        category=_text(f["libcategetab"]),
        siret=_text(f["siret"]),
    )


def _epsg(source: str, departement: str | None) -> int:
    for name, epsg in EPSG_BY_SOURCE.items():
        if source.strip().upper().endswith(name):
            return epsg
    return EPSG_BY_DEPARTEMENT.get(departement or "", LAMBERT_93)


def _number(value: str, line: int, what: str) -> float:
    try:
        return float(value.strip().replace(",", "."))
    except ValueError:
        raise LayoutError(
            line, _("Line {line}: {what} {value} is not a number."), what=what, value=value
        ) from None


def read_finess(data: bytes) -> list[Establishment]:
    """Read a whole extraction; raise :class:`LayoutError` at the first line out of layout."""
    try:
        text = data.decode("utf-8")
        # The published file is Windows-1252; a UTF-8 one was re-saved by someone, which we
        # accept, but a file that is neither is refused below.
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="strict") if _cp1252(data) else ""
        if not text:
            raise LayoutError(
                1, _("Line {line}: the file is neither Windows-1252 nor UTF-8 text.")
            ) from None
    if "\x00" in text:
        # UTF-16 and binary files decode as Windows-1252 but hold NUL characters.
        raise LayoutError(1, _("Line {line}: the file is neither Windows-1252 nor UTF-8 text."))
    lines = text.splitlines()
    if not lines or not lines[0].lower().startswith("finess;etalab"):
        raise LayoutError(
            1,
            _("Line {line}: a FINESS extraction starts with 'finess;etalab;', this one does not."),
        )
    found: dict[str, Establishment] = {}
    for i, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        fields = raw.split(";")
        section = fields[0].strip().lower()
        if section == "structureet":
            est = _structure(fields, i)
            found[est.number] = est
        elif section == "geolocalisation":
            if len(fields) != len(GEO_FIELDS):
                raise LayoutError(
                    i,
                    _(
                        "Line {line}: a geolocalisation line has {expected} fields, "
                        "this one has {found}."
                    ),
                    expected=len(GEO_FIELDS),
                    found=len(fields),
                )
            number = fields[1].strip()
            est_or_none = found.get(number)
            if est_or_none is None:
                raise LayoutError(
                    i,
                    _("Line {line}: geolocalisation of {number}, which no structureet line names."),
                    number=number,
                )
            if not fields[2].strip() or not fields[3].strip():
                continue  # not yet located by the registry
            x = _number(fields[2], i, "coordxet")
            y = _number(fields[3], i, "coordyet")
            lon, lat = to_wgs84(x, y, _epsg(fields[4], est_or_none.departement))
            est_or_none.lon, est_or_none.lat = round(lon, 6), round(lat, 6)
        else:
            raise LayoutError(
                i,
                _(
                    "Line {line}: a line starts with 'structureet' or 'geolocalisation', "
                    "not {start}."
                ),
                start=fields[0][:40],
            )
    return list(found.values())


def _cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True
