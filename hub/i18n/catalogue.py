"""Load the French catalogue from its ``.po`` file, for the server and, as JSON, for the pages.

The ``.po`` file is the only place French is written; nothing compiled is committed: the
catalogue is compiled in memory when first used.
"""

import hashlib
import json
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.core import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from hub.i18n.language import LOCALES, Lang

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
# The order of CLDR plural categories in gettext's plural index (Babel's ``to_gettext``).
PLURAL_TAGS = ("zero", "one", "two", "few", "many", "other")


def po_path(lang: Lang) -> Path:
    """Where ``lang``'s catalogue is kept."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def read_catalogue(lang: Lang) -> Catalog | None:
    """The parsed ``.po`` catalogue of ``lang`` (``None`` for English, the source language)."""
    path = po_path(lang)
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


@cache
def translations(lang: Lang) -> NullTranslations:
    """gettext translations for ``lang``: the catalogue compiled in memory, or identity."""
    catalogue = read_catalogue(lang)
    if catalogue is None:
        return NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def plural_tags(lang: Lang) -> list[str]:
    """The CLDR plural categories of ``lang`` in the order of its plural forms."""
    used = Locale.parse(LOCALES[lang]).plural_form.tags | {"other"}
    return [tag for tag in PLURAL_TAGS if tag in used]


@cache
def catalogue_json(lang: Lang) -> bytes:
    """The catalogue for the pages, as JSON: ``{"lang", "messages"}``.

    ``messages`` maps each English text to its translation; a plural maps to an object keyed by
    CLDR category (``one``, ``many``, ``other``), as ``Intl.PluralRules`` names them; a text
    with a context is keyed ``context + "\\u0004" + text``, as gettext does. Untranslated
    (or fuzzy) entries are left out, so that the page shows the English.
    """
    messages: dict[str, Any] = {}
    catalogue = read_catalogue(lang)
    tags = plural_tags(lang)
    for message in catalogue or ():
        if not message.id or message.fuzzy or not message.string:
            continue
        if isinstance(message.id, tuple):
            key: str = message.id[0]
            forms = message.string
            if not all(forms):
                continue
            value: Any = dict(zip(tags, forms, strict=True))
        else:
            key, value = str(message.id), message.string
        if message.context:
            key = f"{message.context}\u0004{key}"
        messages[key] = value
    return json.dumps(
        {"lang": lang, "messages": messages}, ensure_ascii=False, sort_keys=True
    ).encode()


@cache
def catalogue_version() -> str:
    """A short hash of every catalogue: pages ask for ``/i18n/LANG.json?v=…`` and cache it."""
    digest = hashlib.sha256()
    for lang in LOCALES:
        digest.update(catalogue_json(lang))
    return digest.hexdigest()[:12]
