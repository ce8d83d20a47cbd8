"""The hub's error hierarchy: services raise these, one handler turns them into HTTP.

Each error is written where it is raised, in English and in French, as two templates filled
with the same named values: ``Conflict("Need {id} was cancelled.", "Le besoin {id} a été
annulé.", id=need.id)``. State, role and kind codes among the values are shown in French words
in the French message (``hub.i18n.WORDS_FR``); a list becomes "a or b" / "a ou b".
"""

from typing import Any

from hub.i18n import Lang, fill


class HubError(Exception):
    """Base of every error a person can act on; ``status`` is its HTTP code."""

    status = 400
    type = "error"

    def __init__(self, en: str, fr: str | None = None, **params: Any) -> None:
        self.detail = fill(en, params, "en")
        self.detail_fr = fill(fr, params, "fr") if fr is not None else self.detail
        super().__init__(self.detail)

    def message(self, lang: Lang) -> str:
        """The message in ``lang``."""
        return self.detail_fr if lang == "fr" else self.detail


class Unauthenticated(HubError):
    """No valid token was given."""

    status = 401
    type = "unauthenticated"


class Forbidden(HubError):
    """The caller is known but may not do this."""

    status = 403
    type = "forbidden"


class NotFound(HubError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404
    type = "not_found"


class Conflict(HubError):
    """The request clashes with the current state: an over-claim, an invalid transition."""

    status = 409
    type = "conflict"


class Invalid(HubError):
    """The input is well-formed but makes no sense."""

    status = 422
    type = "invalid"


class TooManyRequests(HubError):
    """The caller is going too fast."""

    status = 429
    type = "too_many_requests"
