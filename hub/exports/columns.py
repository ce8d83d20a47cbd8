"""The columns of the hub's sheets: one definition for exports and imports, so files round-trip.

Each column has a key (the GeoJSON property, the header of the ``plain`` CSV dialect and of
English files), a heading in the catalogue (French files say "quantité"), an HXL hashtag
(Humanitarian Exchange Language, https://hxlstandard.org/standard/1-1final/dictionary/) and,
for imports, the other names people give it in their own sheets (French and English).
"""

from dataclasses import dataclass
from typing import Literal

from hub.i18n import C_, Message

#: How a cell of the column is read and written.
CellType = Literal["text", "int", "float", "date", "code", "list", "id"]
Kind = Literal["hospitals", "labs", "needs", "batches", "3w"]


@dataclass(frozen=True)
class Column:
    """One column of a sheet: ``key``, heading ``label``, ``hxl`` tag, how cells read (``type``)
    and other names an imported sheet may use (``aliases``, compared without case or accents)."""

    key: str
    label: Message
    hxl: str
    type: CellType = "text"
    aliases: tuple[str, ...] = ()


#: How coordinators head a quantity column (a need's or a batch's), accents or not.
QUANTITY_ALIASES = ("quantite", "quantité", "qte", "qté", "nombre", "nb", "qty")


def _c(key: str, label: Message, hxl: str, type: CellType = "text", *aliases: str) -> Column:
    return Column(key, label, hxl, type, aliases)


# Columns shared by several sheets, defined once.
ID = _c("id", C_("column", "id"), "#meta+id", "id", "identifiant hub")
EXTERNAL_ID = _c(
    "external_id",
    C_("column", "external_id"),
    "#meta+ref",
    "text",
    "external id",
    "ref",
    "reference",
    "référence",
    "identifiant",
    "id externe",
    "votre id",
)
REGION = _c("region", C_("column", "region"), "#adm1+code", "text", "code region", "région")
DEPARTEMENT = _c(
    "departement",
    C_("column", "departement"),
    "#adm2+code",
    "text",
    "department",
    "code departement",
    "dept",
    "dep",
)
LAT = _c("lat", C_("column", "lat"), "#geo+lat", "float", "latitude", "y")
LON = _c("lon", C_("column", "lon"), "#geo+lon", "float", "longitude", "lng", "long", "x")
DESIGN = _c("design", C_("column", "design"), "#item+code", "code", "modele", "modèle", "article")
STATUS = _c("status", C_("column", "status"), "#status", "code", "statut", "etat", "état")


def _site_columns(kind_hxl: str, registry: tuple[str, ...]) -> tuple[Column, ...]:
    return (
        ID,
        _c(
            "external_id",
            EXTERNAL_ID.label,
            EXTERNAL_ID.hxl,
            "text",
            *EXTERNAL_ID.aliases,
            *registry,
        ),
        _c(
            "name",
            C_("column", "name"),
            "#loc+name",
            "text",
            "nom",
            "etablissement",
            "établissement",
            "raison sociale",
            "structure",
        ),
        _c("kind", C_("column", "kind"), kind_hxl, "code", "type", "categorie", "catégorie"),
        STATUS,
        _c(
            "address", C_("column", "address"), "#loc+address", "text", "adresse", "adresse postale"
        ),
        REGION,
        DEPARTEMENT,
        _c(
            "contact_name",
            C_("column", "contact_name"),
            "#contact+name",
            "text",
            "contact",
            "nom du contact",
            "referent",
            "référent",
        ),
        _c(
            "contact_phone",
            C_("column", "contact_phone"),
            "#contact+phone",
            "text",
            "telephone",
            "téléphone",
            "tel",
            "tél",
            "phone",
            "numero de telephone",
        ),
        _c("opens", C_("column", "opens"), "#meta+opens", "text", "ouverture", "ouvre a"),
        _c("closes", C_("column", "closes"), "#meta+closes", "text", "fermeture", "ferme a"),
        LAT,
        LON,
    )


HOSPITALS = _site_columns("#loc+type", ("finess", "n finess", "numero finess", "no finess"))
_LAB_BASE = _site_columns("#org+type", ("siret", "n siret", "numero siret", "no siret"))
LABS = (
    *_LAB_BASE[:9],
    _c(
        "equipment",
        C_("column", "equipment"),
        "#meta+equipment",
        "list",
        "equipement",
        "équipement",
        "equipements",
        "machines",
        "materiel",
        "matériel",
    ),
    *_LAB_BASE[9:],
)

NEEDS = (
    ID,
    EXTERNAL_ID,
    _c("hospital_id", C_("column", "hospital_id"), "#loc+id", "id", "id hopital"),
    _c(
        "hospital_external_id",
        C_("column", "hospital_external_id"),
        "#loc+ref",
        "text",
        "ref hopital",
        "finess",
        "n finess",
        "finess hopital",
    ),
    _c(
        "hospital",
        C_("column", "hospital"),
        "#loc+name",
        "text",
        "hopital",
        "hôpital",
        "etablissement",
        "établissement",
        "site",
        "nom",
    ),
    DESIGN,
    _c(
        "accepts",
        C_("column", "accepts"),
        "#item+alt",
        "list",
        "accepte",
        "accepte aussi",
        "alternatives",
    ),
    _c("quantity", C_("column", "quantity"), "#output+needed", "int", *QUANTITY_ALIASES),
    _c(
        "needed_by",
        C_("column", "needed_by"),
        "#date+due",
        "date",
        "date limite",
        "pour le",
        "besoin pour le",
        "date",
        "echeance",
        "échéance",
        "due",
    ),
    _c(
        "priority", C_("column", "priority"), "#priority", "code", "priorite", "priorité", "urgence"
    ),
    STATUS,
    REGION,
    DEPARTEMENT,
    LAT,
    LON,
)

BATCHES = (
    ID,
    _c(
        "code",
        C_("column", "code"),
        "#meta+code",
        "text",
        "code de suivi",
        "suivi",
        "tracking code",
    ),
    EXTERNAL_ID,
    _c("need_id", C_("column", "need_id"), "#activity+id", "id", "id besoin"),
    _c("need_external_id", C_("column", "need_external_id"), "#activity+ref", "text", "ref besoin"),
    _c(
        "hospital",
        C_("column", "hospital"),
        "#loc+name",
        "text",
        "hopital",
        "hôpital",
        "etablissement",
        "établissement",
    ),
    _c(
        "needed_by",
        C_("column", "needed_by"),
        "#date+due",
        "date",
        "date limite",
        "pour le",
        "besoin pour le",
    ),
    _c("lab_id", C_("column", "lab_id"), "#org+id", "id", "id atelier"),
    _c(
        "lab_external_id",
        C_("column", "lab_external_id"),
        "#org+ref",
        "text",
        "ref atelier",
        "siret",
    ),
    _c("lab", C_("column", "lab"), "#org+name", "text", "atelier", "fablab", "fabricant"),
    DESIGN,
    _c("state", C_("column", "state"), "#status", "code", "etat", "état", "statut", "status"),
    _c("quantity", C_("column", "quantity"), "#output+planned", "int", *QUANTITY_ALIASES),
    _c(
        "made",
        C_("column", "made"),
        "#output+made",
        "int",
        "fabrique",
        "fabriqué",
        "fabriques",
        "fabriqués",
    ),
    _c(
        "picked_up",
        C_("column", "picked_up"),
        "#output+picked",
        "int",
        "enleve",
        "enlevé",
        "enleves",
        "enlevés",
    ),
    _c(
        "delivered",
        C_("column", "delivered"),
        "#output+delivered",
        "int",
        "livre",
        "livré",
        "livres",
        "livrés",
    ),
    _c(
        "accepted",
        C_("column", "accepted"),
        "#output+accepted",
        "int",
        "accepte",
        "accepté",
        "acceptes",
        "acceptés",
    ),
    _c(
        "rejected",
        C_("column", "rejected"),
        "#output+rejected",
        "int",
        "refuse",
        "refusé",
        "refuses",
        "refusés",
    ),
    _c(
        "reject_reason",
        C_("column", "reject_reason"),
        "#description+rejected",
        "text",
        "motif de refus",
        "raison du refus",
        "motif",
    ),
    _c("due", C_("column", "due"), "#date+end", "date", "a livrer le", "à livrer le"),
    REGION,
    DEPARTEMENT,
    LAT,
    LON,
)

#: "Who does what where" (3W), the table humanitarian coordinators exchange (OCHA's 3W
#: template, HXL-tagged): who (a lab), what (a design, its capacity and output), where (its
#: région and département), when (the days it offers).
THREE_W = (
    _c("org", C_("column", "org"), "#org+name", "text"),
    _c("org_type", C_("column", "org_type"), "#org+type", "code"),
    _c("org_id", C_("column", "org_id"), "#org+id", "id"),
    _c("sector", C_("column", "sector"), "#sector", "text"),
    _c("activity", C_("column", "activity"), "#activity+name", "text"),
    _c("design", C_("column", "design"), "#activity+code", "code"),
    _c("adm1_name", C_("column", "adm1_name"), "#adm1+name", "text"),
    _c("adm1_code", C_("column", "adm1_code"), "#adm1+code", "text"),
    _c("adm2_name", C_("column", "adm2_name"), "#adm2+name", "text"),
    _c("adm2_code", C_("column", "adm2_code"), "#adm2+code", "text"),
    _c("units_per_day", C_("column", "units_per_day"), "#capacity+num", "int"),
    _c("start", C_("column", "start"), "#date+start", "date"),
    _c("end", C_("column", "end"), "#date+end", "date"),
    _c("committed", C_("column", "committed"), "#output+planned", "int"),
    _c("made", C_("column", "made"), "#output+made", "int"),
    _c("delivered", C_("column", "delivered"), "#output+delivered", "int"),
    LAT,
    LON,
)

SHEETS: dict[Kind, tuple[Column, ...]] = {
    "hospitals": HOSPITALS,
    "labs": LABS,
    "needs": NEEDS,
    "batches": BATCHES,
    "3w": THREE_W,
}
