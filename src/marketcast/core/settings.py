"""Settings read from the environment (MARKETCAST_*)."""

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///" + str(Path("var") / "marketcast.db")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MARKETCAST_", extra="ignore")

    database_url: str = DEFAULT_DB
    redis_url: str | None = None
    # Signs console sessions. When unset, a random key is made once and kept in var/secret_key (fine for one
    # host; set it explicitly when several hosts serve the console).
    secret_key: str | None = None
    # Send the console cookie over HTTPS only (set true behind TLS).
    session_https_only: bool = False
    # Seconds between webhook attempts; the Standard Webhooks example schedule.
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,36000"
    webhook_timeout_seconds: float = 15.0
    # How long a worker's claim on a delivery lasts before another run may retry it (after a crash).
    # Unset: the timeout plus 30 s.
    webhook_lease_seconds: float | None = None
    # Webhook URLs are chosen by API users, so by default they may not point at loopback, private (RFC 1918,
    # fc00::/7), link-local (169.254/16: cloud metadata), unspecified or multicast addresses, nor "localhost":
    # otherwise a subscription could make the server POST into its own network (SSRF). True only for local
    # development and tests, where receivers run on 127.0.0.1.
    webhook_allow_private_urls: bool = False
    worker_interval_seconds: float = 1.0
    # Where application documents are kept (KYB files); size and type are checked before writing.
    upload_dir: str = str(Path("var") / "uploads")
    upload_max_bytes: int = 10 * 1024 * 1024
    # How long an Idempotency-Key is remembered (hours); a retry after that is a new request.
    idempotency_ttl_hours: int = 24
    # How long the `test` payment provider's slow card (4000000000000077) takes before it approves.
    payment_test_slow_seconds: float = 3.0
    login_max_failures: int = 5
    login_window_seconds: int = 900

    @property
    def retry_schedule(self) -> list[int]:
        return [int(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]


def session_secret(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path("var") / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with owner-only permissions; an existing file (another worker won the race) is kept.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()
