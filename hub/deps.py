"""FastAPI dependencies: sessions, the current user, and their short ``Annotated`` aliases."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import User
from hub.auth.service import account_for_token, needs_touch, touch_token
from hub.config import Settings
from hub.db import Database
from hub.errors import Unauthenticated
from hub.i18n import _


def get_db(request: Request) -> Database:
    """Return the app's database."""
    db: Database = request.app.state.db
    return db


def get_app_settings(request: Request) -> Settings:
    """Return the app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session that commits before the response is sent, or rolls back on error."""
    async for session in get_db(request).write():
        yield session


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session (no write lock on SQLite)."""
    async for session in get_db(request).read():
        yield session


# scope="function": the commit happens before the response leaves, so a 2xx means durable.
SessionDep = Annotated[AsyncSession, Depends(write_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(read_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def bearer_token(request: Request) -> str | None:
    """Return the bearer token of the request, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def optional_user(request: Request) -> User | None:
    """Return the signed-in user, or None when no token is given (a bad token is 401)."""
    raw = bearer_token(request)
    if raw is None:
        return None
    db = get_db(request)
    user, token = await account_for_token(db, raw)
    if needs_touch(token):
        # Before the request's own session writes: on SQLite this takes the write lock.
        async with db.transaction() as session:
            await touch_token(session, token_id=token.id)
    return user


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """Return the signed-in user or raise 401."""
    if user is None:
        raise Unauthenticated(
            _("Sign in first: send 'Authorization: Bearer <token>'."),
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
