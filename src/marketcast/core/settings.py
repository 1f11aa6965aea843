"""Settings read from the environment (MARKETCAST_*)."""

import os
import secrets
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///" + str(Path("var") / "marketcast.db")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MARKETCAST_", extra="ignore")

    database_url: str = DEFAULT_DB
    # Redis carries realtime room messages between server processes (docs/adr/0017); unset: in-process only.
    redis_url: str | None = None
    # Every Redis key Marketcast makes starts with this (several installs, or tests, can share one Redis).
    redis_prefix: str = "marketcast"
    # Realtime rooms: messages each room keeps for viewers that reconnect with `after_seq`; messages one
    # connection may have waiting before it is closed as too slow; seconds between viewer-count updates.
    realtime_history: int = 1000
    realtime_queue_limit: int = 256
    realtime_presence_interval_seconds: float = 1.0
    # Mounts a diagnostic room (core/realtime/diagnostics.py) to check fan-out between processes; off in an install.
    realtime_diagnostics: bool = False
    # Signs console sessions. When unset, a random key is made once and kept in var/secret_key (fine for one
    # host; set it explicitly when several hosts serve the console).
    secret_key: str | None = None
    # Send the console cookie over HTTPS only (set true behind TLS).
    session_https_only: bool = False
    # A console session ends after this long without a request (and at logout, a new password, revoke-all).
    session_max_age_seconds: int = 8 * 3600
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
    # Any other request body (JSON, console forms) larger than this is refused with 413 before it is read.
    body_max_bytes: int = 1024 * 1024
    # How long an Idempotency-Key is remembered (hours); a retry after that is a new request.
    idempotency_ttl_hours: int = 24
    # How long the `test` payment provider's slow card (4000000000000077) takes before it approves.
    payment_test_slow_seconds: float = 3.0
    # Database connections each server process keeps, and may open beyond that under load.
    db_pool_size: int = 10
    db_max_overflow: int = 20
    # A payment attempt still processing this long after it began is asked about at its provider by the worker
    # and settled with the provider's answer (lost in a crash), instead of blocking the order for 10 minutes.
    payment_reconcile_after_seconds: int = 60
    # Password guessing (see docs/adr/0019): per account, the first `login_max_failures` attempts in a row go
    # through, then each further one waits a delay that doubles from `login_base_delay_seconds` up to
    # `login_max_delay_seconds`; attempts made during a delay are refused (429) without being counted, so an
    # attacker cannot lock the owner out for longer than the delay. Per address the same with its own limit.
    # A run of attempts is forgotten `login_window_seconds` after the last one.
    # Sandbox clock (core/sandbox.py): business time starts at this instant and runs on; unset: real time.
    clock_start: datetime | None = None
    login_max_failures: int = 5
    login_address_max_failures: int = 20
    login_window_seconds: int = 900
    login_base_delay_seconds: int = 2
    login_max_delay_seconds: int = 300
    # Password checks are slow on purpose (argon2); at most this many run at once per process, and past
    # `login_queue_max` waiting logins the next one is answered 503 at once instead of queueing.
    login_concurrency: int = 2
    login_queue_max: int = 64
    # Idempotent writes (checkout, refund) running at once per process; the rest wait in the event loop.
    write_concurrency: int = Field(default=8, ge=1)  # 0 would refuse every checkout: refused at start instead
    # Checkouts of one line (a deal's or a SKU's) placed in one transaction at most (orders.batch); 1: each alone.
    checkout_batch: int = Field(default=64, ge=1)
    # PostgreSQL sessions of the application: a lock wait, a statement or an idle open transaction longer than
    # these fails (503 service_busy) instead of hanging; and a request waits at most this long for a pooled
    # connection. 0 disables a timeout.
    db_lock_timeout_ms: int = 3000
    db_statement_timeout_ms: int = 20000
    db_idle_in_transaction_timeout_ms: int = 30000
    db_pool_timeout_seconds: float = 5.0
    # `marketcast serve`: seconds given to requests in flight after SIGTERM before they are cancelled.
    serve_shutdown_seconds: int = 5

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
