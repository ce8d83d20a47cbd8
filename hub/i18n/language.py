"""Which language a reader wants: ``Accept-Language`` for the API, ``?lang=`` first for pages."""

from typing import Literal

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("fr", "en")
#: Babel locales for each language: British English writes dates day first, as France does.
LOCALES: dict[Lang, str] = {"en": "en_GB", "fr": "fr_FR"}


def _ranked(accept_language: str | None) -> Lang | None:
    """The hub language the header ranks highest, or ``None`` when it names neither."""
    best: tuple[float, int] = (-1.0, 0)
    chosen: Lang | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        # Higher quality wins; at equal quality, the one listed first.
        rank = (quality, -position)
        if quality > 0 and rank > best:
            best, chosen = rank, primary
    return chosen


def language(accept_language: str | None) -> Lang:
    """``"fr"`` when the client ranks French above English in ``Accept-Language``, else ``"en"``."""
    return _ranked(accept_language) or "en"


def page_language(query: str | None, accept_language: str | None) -> Lang:
    """A page's language: ``?lang=`` if given, else the browser's choice, else French.

    The hub serves French hospitals first, so a browser that names neither language gets French.
    """
    if query in LANGS:
        return query
    return _ranked(accept_language) or "fr"
