"""The hub's error hierarchy: services raise these, one handler turns them into HTTP."""


class HubError(Exception):
    """Base of every error a person can act on; ``status`` is its HTTP code."""

    status = 400
    type = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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
