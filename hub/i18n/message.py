"""Render catalogue messages in the reader's language, with their values shown its way."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Literal

from babel.dates import format_date, format_datetime, format_time
from babel.lists import format_list
from babel.numbers import format_decimal

from hub.i18n.catalogue import translations
from hub.i18n.language import LOCALES, Lang
from hub.i18n.markers import Message
from hub.i18n.words import word


@dataclass(frozen=True)
class Code:
    """A code shown as a word of the catalogue: ``Code(BatchState.CLAIMED)`` → "pris en charge"."""

    value: enum.Enum


@dataclass(frozen=True)
class Phrase:
    """A message with values of its own, to fill a field of another message.

    ``Conflict(_("No route fits: {reasons}."), reasons=Phrase(_("lab {code} is closed"), ...))``
    """

    message: Message
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalTime:
    """A moment shown as the time of day on a site's clock ("18:00"), the reader's way."""

    at: datetime
    tz: tzinfo


@dataclass(frozen=True)
class _Choice:
    items: tuple[object, ...]
    style: Literal["or", "standard"]


def codes(values: Iterable[object], *, style: Literal["or", "standard"] = "or") -> _Choice:
    """Several values shown as one phrase: "a, b or c" ("a, b ou c"), by Babel's list rules."""
    return _Choice(tuple(values), style)


def _is_reference(name: str) -> bool:
    # Ids and numbers that name things are shown as typed, not as quantities ("lot 1234").
    return name == "id" or name.endswith("_id") or name in ("seq", "route", "year")


def show(value: object, lang: Lang, name: str = "") -> str:
    """One value of a message, the reader's way.

    Numbers and dates follow the locale (``format_decimal``, ``format_date``), except ids
    (parameters named ``id`` or ``*_id``); codes become words of the catalogue; messages and
    :class:`Phrase` are rendered; :class:`LocalTime` is a time of day (``format_time``);
    :func:`codes` become a list phrase. Anything else is shown as ``str()``.
    """
    locale = LOCALES[lang]
    if isinstance(value, Message):
        return render(value, {}, lang)
    if isinstance(value, Phrase):
        return render(value.message, value.params, lang)
    if isinstance(value, LocalTime):
        return format_time(value.at, "short", tzinfo=value.tz, locale=locale)
    if isinstance(value, enum.Enum):
        return show(Code(value), lang)
    if isinstance(value, Code):
        return render(word(value.value), {}, lang)
    if isinstance(value, _Choice):
        return format_list([show(v, lang) for v in value.items], style=value.style, locale=locale)
    if isinstance(value, bool) or (isinstance(value, int) and _is_reference(name)):
        return str(value)
    if isinstance(value, int | float):
        return format_decimal(value, locale=locale)
    if isinstance(value, datetime):
        return format_datetime(value, "short", locale=locale)
    if isinstance(value, date):
        return format_date(value, "long", locale=locale)
    return str(value)


def render(message: Message, params: Mapping[str, Any], lang: Lang) -> str:
    """``message`` in ``lang`` with its ``{name}`` fields filled (English when untranslated)."""
    t = translations(lang)
    template: str
    if message.plural is not None:
        n = int(params[message.count]) if message.count else 1
        if message.context:
            template = t.npgettext(message.context, message.text, message.plural, n)
        else:
            template = t.ngettext(message.text, message.plural, n)
    elif message.context:
        # Babel types pgettext as ``str | object`` (a missing entry); it returns the text.
        template = str(t.pgettext(message.context, message.text))
    else:
        template = t.gettext(message.text)
    if not params:
        return template
    return template.format(**{k: show(v, lang, k) for k, v in params.items()})
