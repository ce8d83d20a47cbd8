"""The hub's one catalogue of words: English in the code, French in ``locale/fr/.../messages.po``.

Code marks its English text with :func:`_` (or :func:`N_` for a plural, :func:`C_` for a word
that needs a context) and never translates by hand; the text is translated when it is shown,
in the reader's language::

    raise Conflict(_("Need {id} was cancelled."), id=need.id)
    render(N_("{n} unit", "{n} units", "n"), {"n": 3}, "fr")  # "3 unités"

``pybabel`` extracts the marked text (``scripts/update_catalogue.py``); the pages get the same
catalogue as JSON (:func:`catalogue_json`). Values filling a message are shown the reader's way
(:func:`show`): numbers and dates by Babel, codes (states, roles) through the catalogue.
"""

from hub.i18n.catalogue import catalogue_json, catalogue_version, translations
from hub.i18n.language import LANGS, Lang, language, page_language
from hub.i18n.markers import C_, N_, Message, _
from hub.i18n.message import Code, LocalTime, Phrase, codes, render, show

__all__ = [
    "C_",
    "LANGS",
    "N_",
    "Code",
    "Lang",
    "LocalTime",
    "Message",
    "Phrase",
    "_",
    "catalogue_json",
    "catalogue_version",
    "codes",
    "language",
    "page_language",
    "render",
    "show",
    "translations",
]
