"""The hub's error hierarchy: services raise these, one handler turns them into HTTP.

Each error carries an English message marked for the catalogue and the values that fill it,
and is rendered in the reader's language when it is sent::

    raise Conflict(_("Need {id} was cancelled."), id=need.id)

Values are shown the reader's way by ``hub.i18n.show``: numbers and dates by Babel, states and
roles (``hub.rules.states`` enums) as words of the catalogue, ``codes([...])`` as "a or b".
"""

from typing import Any

from pydantic import BaseModel, Field

from hub.i18n import Lang, Message, render


class FieldErrorOut(BaseModel):
    """One refused field of a request: where (``lat``, ``accepts.2``, ``body``) and why."""

    field: str = Field(examples=["quantity"])
    message: str = Field(examples=["must be greater than 0"])


class ErrorOut(BaseModel):
    """Every error the hub sends: a kind a program tests, a sentence a person can act on.

    The sentence is in French or English, after ``Accept-Language``. A 422 for input that does
    not fit the schema also lists every refused field in ``errors``.
    """

    type: str = Field(
        description="unauthenticated, forbidden, not_found, conflict, invalid, "
        "too_many_requests, method_not_allowed, internal or error",
        examples=["invalid"],
    )
    detail: str = Field(examples=["quantity: must be greater than 0"])
    errors: list[FieldErrorOut] | None = Field(
        None, description="422 only, when fields of the request were refused."
    )


class HubError(Exception):
    """Base of every error a person can act on; ``status`` is its HTTP code."""

    status = 400
    type = "error"

    def __init__(self, message: Message, **params: Any) -> None:
        self.msg = message
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: Lang) -> str:
        """The message in ``lang``."""
        return render(self.msg, self.params, lang)

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries (none but for some errors)."""
        return {}

    @property
    def detail(self) -> str:
        """The message in English (for logs and the command line)."""
        return self.message("en")


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
    """The caller is going too fast; ``retry_after`` says in how many seconds to try again."""

    status = 429
    type = "too_many_requests"

    def __init__(self, message: Message, *, retry_after: int | None = None, **params: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **params)

    @property
    def headers(self) -> dict[str, str]:
        """``Retry-After`` in whole seconds (RFC 9110, section 10.2.3)."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
