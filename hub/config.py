"""Settings, read once from ``HUB_*`` environment variables."""

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    host: str = "127.0.0.1"
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-For is trusted (comma-separated, or *).",
    )
    port: int = 8000
    token_ttl_hours: int = 24 * 30
    max_body_bytes: int = 1_000_000
    # Spreadsheets uploaded to /api/v1/imports/ (issue 16: 20 MB, 100,000 rows at most).
    import_max_bytes: int = 20_000_000
    sqlite_busy_timeout_ms: int = 30_000
    auth_rate_per_minute: int = 20
    circuity: float = 1.3
    speed_kmh: float = 50.0
    route_seconds: float = 2.0
    live_queue_size: int = 256
    live_replay_limit: int = 5_000
    live_heartbeat_seconds: float = 20.0
    demo_speed: float = 1.0


@cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached: the environment is read once)."""
    return Settings()
