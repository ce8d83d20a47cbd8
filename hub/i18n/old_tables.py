"""French and English for the API's error messages: which one the client wants, and the words.

Error messages are written at the place that raises them, in both languages (see
``hub.errors.HubError``); this module picks the language from ``Accept-Language`` and holds
what is shared: the words for states, roles and kinds that fill the messages, and the French
for the validation errors pydantic reports in English.
"""

from collections.abc import Mapping
from typing import Any

from hub.i18n.language import Lang

#: Codes that appear inside messages (batch states, roles, site types, route statuses).
WORDS_FR: Mapping[str, str] = {
    "proposed": "proposé",
    "requested": "demandé",
    "claimed": "pris en charge",
    "made": "fabriqué",
    "ready": "prêt",
    "picked_up": "en route",
    "in_transit": "en route",
    "delivered": "livré",
    "received": "reçu",
    "cancelled": "annulé",
    "declined": "refusé",
    "open": "ouvert",
    "active": "en cours",
    "done": "terminée",
    "released": "rendue",
    "hospital": "établissement",
    "lab": "atelier",
    "hospital_staff": "personnel soignant",
    "maker": "maker",
    "driver": "chauffeur",
    "coordinator": "coordinateur",
    "admin": "administrateur",
}


def word(value: Any, lang: Lang) -> str:
    """A code as shown in ``lang``: lists become "a or b" ("a ou b")."""
    if isinstance(value, list | tuple):
        return (" ou " if lang == "fr" else " or ").join(word(v, lang) for v in value)
    if isinstance(value, str) and value in WORDS_FR:
        return WORDS_FR[value] if lang == "fr" else value.replace("_", " ")
    return str(value)


def fill(template: str, params: Mapping[str, Any], lang: Lang) -> str:
    """``template`` with its ``{name}`` fields filled in ``lang``."""
    if not params:
        return template
    return template.format(**{k: word(v, lang) for k, v in params.items()})


#: pydantic's error types, in French; ``{...}`` fields come from the error's context.
VALIDATION_FR: Mapping[str, str] = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "greater_than": "doit être supérieur à {gt}",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than": "doit être inférieur à {lt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "string_too_short": "doit contenir au moins {min_length} caractère(s)",
    "string_too_long": "doit contenir au plus {max_length} caractères",
    "string_type": "doit être du texte",
    "string_pattern_mismatch": "n’a pas la forme attendue",
    "too_short": "doit contenir au moins {min_length} élément(s)",
    "too_long": "doit contenir au plus {max_length} éléments",
    "int_parsing": "doit être un nombre entier",
    "int_type": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier",
    "float_parsing": "doit être un nombre",
    "float_type": "doit être un nombre",
    "finite_number": "doit être un nombre fini",
    "bool_parsing": "doit être vrai ou faux",
    "bool_type": "doit être vrai ou faux",
    "date_parsing": "doit être une date (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "doit être une date (AAAA-MM-JJ)",
    "date_type": "doit être une date (AAAA-MM-JJ)",
    "datetime_parsing": "doit être une date et une heure",
    "datetime_type": "doit être une date et une heure",
    "datetime_from_date_parsing": "doit être une date et une heure",
    "time_parsing": "doit être une heure (HH:MM)",
    "time_type": "doit être une heure (HH:MM)",
    "literal_error": "doit être l’une des valeurs : {expected}",
    "enum": "doit être l’une des valeurs : {expected}",
    "list_type": "doit être une liste",
    "dict_type": "doit être un objet",
    "model_type": "doit être un objet",
    "model_attributes_type": "doit être un objet",
    "json_invalid": "le corps de la requête n’est pas du JSON valide",
    "multiple_of": "doit être un multiple de {multiple_of}",
    "uuid_parsing": "doit être un identifiant UUID",
    "uuid_type": "doit être un identifiant UUID",
    "decimal_parsing": "doit être un nombre décimal",
    "decimal_type": "doit être un nombre décimal",
    "none_required": "doit être vide (null)",
}


class BilingualValueError(ValueError):
    """A ``ValueError`` from a schema validator that also says it in French."""

    def __init__(self, en: str, fr: str) -> None:
        super().__init__(en)
        self.fr = fr


def validation_message(error: Mapping[str, Any], lang: Lang) -> str:
    """One pydantic error's message in ``lang`` (English when no French is known)."""
    english = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if error.get("type") == "json_invalid" and lang == "en":
        return "the body is not valid JSON"
    if lang == "en":
        return english
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, BilingualValueError):
        return cause.fr
    template = VALIDATION_FR.get(str(error.get("type")))
    if template is None:
        return english
    try:
        # pydantic lists the allowed values as "'a', 'b' or 'c'": the last word is English.
        values = {
            k: str(v).replace(" or ", " ou ") if k == "expected" else str(v) for k, v in ctx.items()
        }
        return template.format(**values)
    except (KeyError, IndexError):
        return english
