"""Constrained field types shared by request bodies, so limits read the same everywhere.

**Text.** Every text of a request is free of control characters: C0 controls (tab, line feed
and carriage return aside), DEL, C1 controls and lone surrogates. PostgreSQL cannot store a
NUL (it answered 500), SQLite stores it, and none of them is ever typed by a person; both
databases now see the same refusal (422), never a stripped copy that differs from what was
sent. ``hub.bodylimit`` enforces that rule for every JSON string and query parameter at the
door, whatever the field; ``hub.openapi`` documents it as :data:`TEXT_PATTERN` on every string
the API reads. The types below add what a kind of text needs on top: one line only (no tab or
line break), surrounding spaces trimmed and a refusal of text made only of spaces.
"""

import re
from typing import Annotated

import email_validator
from pydantic import AfterValidator, BeforeValidator, EmailStr, Field

from hub.i18n import _
from hub.i18n.validation import MessageError

#: Characters no text may hold (C0 but tab, LF and CR; DEL; C1; lone surrogates).
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Regex escapes, shared by the validators and the documented patterns: C0, DEL and C1 ...
_C0_C1 = "\\x00-\\x1f\\x7f-\\x9f"
# ... and the line and paragraph separators and the bidirectional controls.
_LINE_BREAKS_BIDI = "\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069"
#: The same for a one-line text: tab, LF and CR too; the Unicode line and paragraph
#: separators (U+2028, U+2029: line breaks); and the bidirectional embeddings, overrides and
#: isolates (U+202A-U+202E, U+2066-U+2069), which make "Lab \u202egnp.exe" read "Lab exe.png"
#: (Unicode TR 36, "Bidirectional text spoofing"). The marks U+200E/U+200F stay: a right-to-left
#: keyboard types them.
LINE_CONTROLS = re.compile(f"[{_C0_C1}{_LINE_BREAKS_BIDI}\\ud800-\\udfff]")
#: Characters that show nothing (format characters: zero-width space, joiners, word joiner,
#: byte-order mark, soft hyphen...): a name made of them and spaces is blank, and they are
#: trimmed from its ends like spaces (regex escapes: the validators and the documented patterns
#: share them).
INVISIBLE = "\\u00ad\\u180e\\u200b-\\u200f\\u2060-\\u2064\\ufeff"
# The documented forms (JSON Schema ``pattern``, ECMA-262 syntax that Python reads the same).
# Surrogates are left out: they cannot be written in UTF-8, only as JSON escapes, and
# ECMA-262 engines differ on them; the validators refuse them all the same.
_ANY = "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
_LINE = f"[^{_C0_C1}{_LINE_BREAKS_BIDI}]"
_VISIBLE = f"[^\\s{_C0_C1}{_LINE_BREAKS_BIDI}{INVISIBLE}]"
_BLANK = re.compile(f"^[\\s{INVISIBLE}]+|[\\s{INVISIBLE}]+$")
#: Any text the API reads: no control character but tab and line breaks.
TEXT_PATTERN = f"^{_ANY}*$"
#: One line of text, without control characters.
LINE_PATTERN = f"^{_LINE}*$"
#: One line of text with at least one visible character (names).
NAME_PATTERN = f"^{_LINE}*{_VISIBLE}{_LINE}*$"


def control_character(text: str, *, one_line: bool = False) -> str | None:
    """The first control character ``text`` holds, as ``U+0000``, or None."""
    found = (LINE_CONTROLS if one_line else CONTROLS).search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _refuse_controls(text: str, *, one_line: bool) -> None:
    code = control_character(text, one_line=one_line)
    if code is not None:
        raise MessageError(_("must not contain control characters ({code})"), code=code)


def _one_line(text: str) -> str:
    _refuse_controls(text, one_line=True)
    return text


def _name(text: str) -> str:
    _refuse_controls(text, one_line=True)
    text = _BLANK.sub("", text)
    if not text:
        raise MessageError(_("must not be empty or only spaces"))
    return text


def _multiline(text: str) -> str:
    _refuse_controls(text, one_line=False)
    return text.strip()


#: A name or a short label: one line, trimmed, never empty nor only spaces.
Name = Annotated[
    str,
    Field(min_length=1, max_length=200, json_schema_extra={"pattern": NAME_PATTERN}),
    AfterValidator(_name),
]
ShortText = Name
#: A postal address: as a name, longer.
Address = Annotated[
    str,
    Field(min_length=1, max_length=400, json_schema_extra={"pattern": NAME_PATTERN}),
    AfterValidator(_name),
]
#: Free text over several lines (a reason): tabs and line breaks allowed, trimmed.
LongText = Annotated[
    str,
    Field(max_length=500, json_schema_extra={"pattern": TEXT_PATTERN}),
    AfterValidator(_multiline),
]


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# email-validator refuses addresses at special-use domain names (RFC 6761: ``test``,
# ``localhost``, ...) that JSON Schema's ``format: email`` allows; the pattern says so, from
# the very list it uses, so that the document cannot drift from what is refused.
_SPECIAL_USE = "|".join(_any_case(name) for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)
EMAIL_PATTERN = f"^(?!.*@(?:.*\\.)?(?:{_SPECIAL_USE})\\.?$)"
#: An e-mail address (email-validator's syntax, no DNS lookup), at most 254 characters.
Email = Annotated[EmailStr, Field(max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN})]

#: A secret (password, token): one line, kept exactly as typed (spaces count).
Secret = Annotated[
    str,
    Field(max_length=200, json_schema_extra={"pattern": LINE_PATTERN}),
    AfterValidator(_one_line),
]

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, examples=[45.1885])]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, examples=[5.7245])]
# A million units is far beyond any 2020 request; larger numbers are typos or attacks.
# Strict: a JSON number only. In lax mode pydantic reads the string "10.000" as 10, while a
# French reader wrote ten thousand; a count is never guessed from text (hub/imports reads
# spreadsheet cells itself and refuses what is ambiguous).


def _not_text(value: object) -> object:
    # A count is a JSON number: never a string ("10.000": ten thousand for a French reader,
    # ten for pydantic) nor a boolean. A number with a zero fraction (``3.0``) is a whole
    # number, as JSON Schema's ``integer`` says; ``3.5`` is refused by pydantic.
    if isinstance(value, str | bool):
        raise MessageError(_("must be a whole number"))
    return value


#: A whole number written as a JSON number (``3`` or ``3.0``, never ``"3"`` nor ``true``).
Whole = Annotated[int, BeforeValidator(_not_text)]
# (Constraints before the validator: after it, pydantic would not document them.)
Quantity = Annotated[int, Field(gt=0, le=1_000_000), BeforeValidator(_not_text)]
Count = Annotated[int, Field(ge=0, le=1_000_000), BeforeValidator(_not_text)]
#: ``lat,lon`` in decimal degrees, for ``GET /needs?near=`` (the range is in the pattern).
NEAR_PATTERN = (
    r"^-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?),"
    r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)$"
)
Phone = Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[0-9+() .\-]+$")]
DesignSlug = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9-]+$")]
HourMinute = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]


def hhmm_to_minutes(value: str) -> int:
    """Turn ``"08:30"`` into 510."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def minutes_to_hhmm(value: int) -> str:
    """Turn 510 into ``"08:30"``."""
    return f"{value // 60:02d}:{value % 60:02d}"
