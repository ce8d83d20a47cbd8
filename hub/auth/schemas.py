"""Request and response bodies for accounts."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from hub.rules.states import Role

#: Roles anyone may take; coordinators and admins are created on the command line.
SignupRole = Literal[Role.HOSPITAL_STAFF, Role.MAKER, Role.DRIVER]


class SignupIn(BaseModel):
    """A new account. Coordinators and admins are created on the command line."""

    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    role: SignupRole


class TokenIn(BaseModel):
    """Credentials exchanged for a token."""

    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    password: str = Field(max_length=200)


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
