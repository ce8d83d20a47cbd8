"""Settings, read once from ``HUB_*`` environment variables."""

from functools import cache
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.limits.clients import parse_trusted


class Settings(BaseSettings):
    """Everything the hub can be configured with; each field is ``HUB_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite+aiosqlite:///{Path.cwd() / 'hub.sqlite'}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///FILE or postgresql+asyncpg://...",
    )
    broadcast_url: str | None = Field(
        default=None, description="redis://... to fan events out through Redis pub/sub."
    )
    routing_url: str | None = Field(
        default=None, description="Base URL of an OSRM-compatible table service."
    )
    geocoder_url: str | None = Field(
        default=None,
        description="Base URL of an addok geocoder (http://HOST:7878) for street addresses in "
        "the place search; communes are found offline without it.",
    )
    geocoder_timeout: float = Field(
        default=2.0, description="Seconds to wait for the geocoder before falling back."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    trusted_proxies: str = Field(
        default="",
        description="Proxies whose X-Forwarded-For is believed: addresses or CIDR networks, "
        "comma-separated. None by default: the peer is the client.",
    )
    public_url: str | None = Field(
        default=None,
        description="The hub's address as users reach it (https://hub.example.org), for links "
        "such as password resets; http://HOST:PORT when unset.",
    )
    # Mail (the notifications outbox's sender, README "Configuration"): without a host the
    # mails wait in the outbox and no sender runs.
    smtp_host: str | None = Field(
        default=None, description="SMTP server the outbox's mails go through; unset: none sent."
    )
    smtp_port: int = Field(default=587, description="Its port (587: submission with STARTTLS).")
    smtp_username: str | None = Field(default=None, description="SMTP login, if it asks for one.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(
        default=True,
        description="Upgrade the connection with STARTTLS (off only for a relay "
        "on the same machine or network).",
    )
    smtp_timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for the server.")
    mail_from: str = Field(
        default="hub@localhost", description="The sender address of the hub's mails."
    )
    mail_poll_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often the sender looks for due mails written by other processes (its "
        "own process wakes it at each commit).",
    )
    token_ttl_hours: int = 24 * 30
    max_body_bytes: int = 1_000_000
    # Spreadsheets uploaded to /api/v1/imports/ (issue 16: 20 MB, 100,000 rows at most).
    import_max_bytes: int = 20_000_000
    sqlite_busy_timeout_ms: int = 30_000
    # PostgreSQL: connections kept open per process, and how many more a burst may open.
    # Connections past the pool are closed as soon as they are returned: under a steady load
    # above the pool each request paid a new backend and re-prepared its statements (issue 13:
    # 10 + 20 cost a fifth of the throughput against 20 + 0). The peak, 30, is unchanged.
    db_pool_size: int = Field(default=20, ge=1, description="PostgreSQL connections kept open.")
    db_max_overflow: int = Field(
        default=10, ge=0, description="More PostgreSQL connections a burst may open, then close."
    )
    # Rate limits, counted in the database (or in Redis with limits_url) so that every process
    # shares them. Per client address: each of sign-in, sign-up, reset request and reset use.
    auth_rate_per_minute: int = Field(default=20, ge=1)
    # Per account (its e-mail): password attempts (sign-in, sign-up, password change) and
    # reset requests.
    account_rate_per_minute: int = Field(default=10, ge=1)
    need_rate_per_minute: int = Field(default=30, ge=1, description="Needs posted per user.")
    need_address_rate_per_minute: int = Field(
        default=120, ge=1, description="Needs posted per client address (a hospital's NAT)."
    )
    invite_rate_per_hour: int = Field(
        default=20, ge=1, description="Invitations sent per user and hour (each one mails)."
    )
    limits_url: str | None = Field(
        default=None,
        description="redis://host:6379/1 to count rate limits in Redis; the database otherwise.",
    )
    limits_prefix: str = Field(default="hub", description="Prefix of the rate-limit keys.")
    reset_ttl_hours: float = Field(default=24, gt=0, description="Life of a password-reset link.")
    circuity: float = 1.3
    speed_kmh: float = 50.0
    route_seconds: float = 2.0
    allow_sea_crossings: bool = Field(
        default=False,
        description="Let the matcher pair, and the route planner join, sites on different "
        "landmasses (mainland, Corsica, each overseas territory): for coordinators who "
        "organise ferries.",
    )
    sea_crossing_km: float = Field(
        default=200.0,
        ge=0,
        description="With crossings allowed: the matcher's extra cost per unit that crosses, "
        "in km.",
    )
    ferry_minutes: float = Field(
        default=180.0,
        ge=0,
        description="With crossings allowed: the route planner's extra time per leg that "
        "crosses the sea, in minutes.",
    )
    ferry_km: float = Field(
        default=0.0,
        ge=0,
        description="With crossings allowed: the route planner's extra distance per leg that "
        "crosses the sea (a ferry's cost, as km).",
    )

    @property
    def base_url(self) -> str:
        """The hub's address as users reach it, without a trailing slash (for links)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def crossing_km(self) -> float | None:
        """The matcher's ``sea_crossing_km``: None unless crossings are allowed."""
        return self.sea_crossing_km if self.allow_sea_crossings else None

    live_queue_size: int = 256
    live_replay_limit: int = 5_000
    live_heartbeat_seconds: float = 20.0
    demo_speed: float = 1.0
    # Operations (README "Operations").
    log_level: str = Field(default="info", description="debug, info, warning or error.")
    log_format: str = Field(
        default="json", description="json (one object per line) or text, for `hub serve`."
    )
    metrics_token: str | None = Field(
        default=None,
        description="A secret that lets a scraper read /metrics from anywhere "
        "(Authorization: Bearer TOKEN).",
    )
    metrics_allow: str = Field(
        default="127.0.0.1,::1",
        description="Networks that read /metrics without the token, comma-separated; empty: "
        "only with the token. A request that came through an undeclared proxy never counts.",
    )
    shutdown_grace_seconds: int = Field(
        default=30,
        gt=0,
        description="On SIGTERM, how long in-flight requests have to finish before they are "
        "cancelled.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: str) -> str:
        parse_trusted(value)  # raises ValueError naming HUB_TRUSTED_PROXIES
        return value

    @field_validator("metrics_allow")
    @classmethod
    def _valid_metrics_allow(cls, value: str) -> str:
        try:
            parse_trusted(value)
        except ValueError as exc:
            raise ValueError(str(exc).replace("HUB_TRUSTED_PROXIES", "HUB_METRICS_ALLOW")) from exc
        return value

    @field_validator("log_format")
    @classmethod
    def _valid_log_format(cls, value: str) -> str:
        if value not in ("json", "text"):
            raise ValueError("HUB_LOG_FORMAT must be json or text")
        return value

    def metrics_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The networks that read /metrics without the token."""
        return parse_trusted(self.metrics_allow)

    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The trusted proxies as networks (a lone address is a /32 or /128)."""
        return parse_trusted(self.trusted_proxies)


@cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached: the environment is read once)."""
    return Settings()
