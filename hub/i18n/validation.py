"""Validation errors in the reader's language: pydantic's error types, worded by the catalogue.

pydantic reports each bad field with an error ``type`` and a context (``{"gt": 0}``); the
wording here replaces its English so that both languages read alike ("quantity: must be greater
than 0" / "quantity : doit être supérieur à 0"). Schema validators raise :class:`MessageError`.
"""

import re
from collections.abc import Mapping
from typing import Any

from hub.i18n.language import Lang
from hub.i18n.markers import N_, Message, _
from hub.i18n.message import codes, render

#: pydantic's error types (pydantic_core's ``ErrorType``) as catalogue messages; fields come
#: from the error's context.
VALIDATION: Mapping[str, Message] = {
    "missing": _("required field"),
    "extra_forbidden": _("unknown field"),
    "greater_than": _("must be greater than {gt}"),
    "greater_than_equal": _("must be greater than or equal to {ge}"),
    "less_than": _("must be less than {lt}"),
    "less_than_equal": _("must be less than or equal to {le}"),
    "string_too_short": N_(
        "must have at least {min_length} character",
        "must have at least {min_length} characters",
        "min_length",
    ),
    "string_too_long": N_(
        "must have at most {max_length} character",
        "must have at most {max_length} characters",
        "max_length",
    ),
    "string_type": _("must be text"),
    "string_pattern_mismatch": _("does not have the expected form"),
    "too_short": N_(
        "must have at least {min_length} item",
        "must have at least {min_length} items",
        "min_length",
    ),
    "too_long": N_(
        "must have at most {max_length} item", "must have at most {max_length} items", "max_length"
    ),
    "int_parsing": _("must be a whole number"),
    "int_type": _("must be a whole number"),
    "int_from_float": _("must be a whole number"),
    "float_parsing": _("must be a number"),
    "float_type": _("must be a number"),
    "finite_number": _("must be a finite number"),
    "bool_parsing": _("must be true or false"),
    "bool_type": _("must be true or false"),
    "date_parsing": _("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": _("must be a date (YYYY-MM-DD)"),
    "date_type": _("must be a date (YYYY-MM-DD)"),
    "datetime_parsing": _("must be a date and time"),
    "datetime_type": _("must be a date and time"),
    "datetime_from_date_parsing": _("must be a date and time"),
    "time_parsing": _("must be a time (HH:MM)"),
    "time_type": _("must be a time (HH:MM)"),
    "literal_error": _("must be one of: {expected}"),
    "enum": _("must be one of: {expected}"),
    "list_type": _("must be a list"),
    "dict_type": _("must be an object"),
    "model_type": _("must be an object"),
    "model_attributes_type": _("must be an object"),
    "json_invalid": _("the body is not valid JSON"),
    "multiple_of": _("must be a multiple of {multiple_of}"),
    "uuid_parsing": _("must be a UUID"),
    "uuid_type": _("must be a UUID"),
    "decimal_parsing": _("must be a decimal number"),
    "decimal_type": _("must be a decimal number"),
    "none_required": _("must be empty (null)"),
}


class MessageError(ValueError):
    """A schema validator's refusal as a catalogue message; pydantic keeps it in the context."""

    def __init__(self, message: Message, **params: Any) -> None:
        super().__init__(render(message, params, "en"))
        self.message = message
        self.params = params


def _context(error: Mapping[str, Any]) -> dict[str, Any]:
    ctx = dict(error.get("ctx") or {})
    if isinstance(ctx.get("expected"), str):
        # pydantic lists allowed values as one English string, "'a', 'b' or 'c'": re-list them
        # so that the list reads the reader's way.
        ctx["expected"] = codes(re.findall(r"'([^']*)'", ctx["expected"]))
    return ctx


def validation_message(error: Mapping[str, Any], lang: Lang) -> str:
    """One pydantic error's message in ``lang`` (pydantic's English for an unknown type)."""
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, MessageError):
        return render(cause.message, cause.params, lang)
    message = VALIDATION.get(str(error.get("type")))
    if message is None:
        return str(error.get("msg", "invalid")).removeprefix("Value error, ")
    try:
        return render(message, _context(error), lang)
    except (KeyError, IndexError, ValueError):
        return str(error.get("msg", "invalid"))
