"""Request and response bodies for accounts."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.rules.states import Role
from hub.validation import Email, Name, Secret

#: Roles anyone may take; coordinators and admins are created on the command line.
SignupRole = Literal[Role.HOSPITAL_STAFF, Role.MAKER, Role.DRIVER]


class SignupIn(BaseModel):
    """A new account. Coordinators and admins are created on the command line."""

    model_config = ConfigDict(extra="forbid")
    email: Email
    password: Secret = Field(min_length=8)
    name: Name
    role: SignupRole


class TokenIn(BaseModel):
    """Credentials exchanged for a token."""

    model_config = ConfigDict(extra="forbid")
    email: Email
    password: Secret


class UserOut(BaseModel):
    """A user as the user sees themselves."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: Role
    area: str | None
    created_at: datetime


class TokenOut(BaseModel):
    """A bearer token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


class SignupOut(TokenOut):
    """The new user and a token to start with."""

    user: UserOut


class PasswordChangeIn(BaseModel):
    """The current password, and the new one (checked against the password policy)."""

    model_config = ConfigDict(extra="forbid")
    current_password: Secret
    new_password: Secret


class ResetRequestIn(BaseModel):
    """The address of the account whose password is forgotten."""

    model_config = ConfigDict(extra="forbid")
    email: Email


class ResetRequested(BaseModel):
    """What happens next; the same words whether the address has an account or not."""

    detail: str


class ResetIn(BaseModel):
    """The token of a one-time reset link, and the new password."""

    model_config = ConfigDict(extra="forbid")
    token: Secret = Field(min_length=1)
    password: Secret


class SessionOut(BaseModel):
    """An open session (a live token), as its owner sees it: never the token itself."""

    id: int
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="When it was last used, to the quarter of an hour."
    )
    expires_at: datetime
    description: str | None = Field(
        description="Browser and system it was opened from, e.g. 'Firefox Mobile 128 · Android 14'."
    )
    current: bool = Field(description="Whether this is the session making the request.")
