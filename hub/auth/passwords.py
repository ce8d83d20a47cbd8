"""Password hashing with argon2, off the event loop (hashing is deliberately slow)."""

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Real hashes to verify against when there is no account to try (an unknown address, fewer
# accounts sharing it than are tried), so timing does not reveal accounts. One per hasher,
# with its parameters: a dummy dearer or cheaper than a real hash would tell them apart.
_dummies: dict[int, str] = {}


def _dummy() -> str:
    key = id(_hasher)
    if key not in _dummies:
        _dummies[key] = _hasher.hash("not-a-real-password")
    return _dummies[key]


async def hash_password(password: str) -> str:
    """Return the argon2 hash of a password."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether a password matches its hash (a missing hash never matches)."""

    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
