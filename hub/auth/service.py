"""Accounts, tokens and who may do what."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.area_filter import unknown_area
from hub.auth.models import Token, User
from hub.auth.passwords import hash_password, verify_password
from hub.db import utcnow
from hub.errors import Conflict, Invalid, Unauthenticated
from hub.geo.areas import parse_area
from hub.i18n import _
from hub.rules.states import Role


def _account_exists(email: str) -> Conflict:
    return Conflict(
        _("An account already exists for {email}; sign in instead."),
        email=email,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    role: str,
    area: str | None = None,
) -> User:
    """Create an account; 409 if the email is taken."""
    if role not in list(Role):
        raise Invalid(
            _("Unknown role {role}; choose one of {roles}."),
            role=repr(role),
            roles=", ".join(Role),
        )
    if area is not None:
        if role != Role.COORDINATOR:
            raise Invalid(_("Only coordinators have an area."))
        try:
            area = str(parse_area(area))
        except ValueError as exc:
            raise unknown_area(area) from exc
    email = email.strip().lower()
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise _account_exists(email)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=await hash_password(password),
        role=role,
        area=area,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent signup with the same email won the race
        raise _account_exists(email) from exc
    return user


async def issue_token(session: AsyncSession, *, user: User, ttl_hours: int) -> tuple[str, Token]:
    """Create a new random token for a user and return it in clear with its row."""
    raw = secrets.token_urlsafe(32)
    token = Token(
        user_id=user.id,
        token_hash=_digest(raw),
        expires_at=utcnow() + timedelta(hours=ttl_hours),
    )
    session.add(token)
    await session.flush()
    return raw, token


async def authenticate_password(session: AsyncSession, *, email: str, password: str) -> User:
    """Return the user with these credentials, or raise 401."""
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    ok = await verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        raise Unauthenticated(_("Wrong email or password."))
    return user


async def user_for_token(session: AsyncSession, raw: str) -> User:
    """Return the user a bearer token belongs to, or raise 401."""
    token = await session.scalar(select(Token).where(Token.token_hash == _digest(raw)))
    if token is None or token.revoked_at is not None:
        raise Unauthenticated(
            _("This token is not valid; sign in again."),
        )
    if token.expires_at <= utcnow():
        raise Unauthenticated(
            _("This token has expired; sign in again."),
        )
    user = await session.get(User, token.user_id)
    if user is None:
        raise Unauthenticated(_("This account no longer exists."))
    return user


async def revoke_token(session: AsyncSession, raw: str) -> None:
    """Revoke a token (logout)."""
    token = await session.scalar(select(Token).where(Token.token_hash == _digest(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
