"""Plain data shared by tests: real places, the password of every test account, lifted rate
limits, an account."""

from dataclasses import dataclass

# (latitude, longitude) of real places, from their town halls.
GRENOBLE = (45.1885, 5.7245)
BREST = (48.3904, -4.4861)
LYON = (45.7640, 4.8357)
RENNES = (48.1173, -1.6778)

#: Every test account's password.
PASSWORD = "correct horse battery"

#: Rate limits high enough that no test meets them by accident (tests/hub/limits check them).
LIFTED_LIMITS = {
    "auth_rate_per_minute": 100_000,
    "account_rate_per_minute": 100_000,
    "need_rate_per_minute": 100_000,
    "need_address_rate_per_minute": 100_000,
    "invite_rate_per_hour": 100_000,
}


@dataclass
class Account:
    """A signed-up user and the headers that authenticate as them."""

    id: int
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for this account."""
        return {"Authorization": f"Bearer {self.token}"}
