"""Tables of policies: every dated value an operator set, kept forever."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime


class PolicyVersion(Base):
    """One value of one key for one market (or globally, market NULL) from `effective_from` on.

    Rows are never deleted and, once effective, never changed: a change is a new version. A version
    still in the future can be withdrawn, which only marks it."""

    __tablename__ = "policy_versions"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    market: Mapped[str | None] = mapped_column(String(2))
    # Wrapped as {"v": value} so that "none" (no requirement) is a stored value, not a missing one.
    value: Mapped[dict[str, Any]] = mapped_column(JSONType)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(500))
    actor_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(254))
    withdraw_reason: Mapped[str | None] = mapped_column(String(500))
    # Set by the worker when it announced policy.effective, so each version is announced once.
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_policy_versions_key_market_from", "key", "market", "effective_from"),
        Index("ix_policy_versions_unannounced", "announced_at", "effective_from"),
        # Two live versions of one key for one scope at the same instant would make the value ambiguous;
        # the database refuses the second even when two operators race. Two indexes because NULLs
        # (global versions) never collide in a unique index.
        Index("uq_policy_versions_live_market", "key", "market", "effective_from", unique=True,
              sqlite_where=text("withdrawn_at IS NULL AND market IS NOT NULL"),
              postgresql_where=text("withdrawn_at IS NULL AND market IS NOT NULL")),
        Index("uq_policy_versions_live_global", "key", "effective_from", unique=True,
              sqlite_where=text("withdrawn_at IS NULL AND market IS NULL"),
              postgresql_where=text("withdrawn_at IS NULL AND market IS NULL")),
    )

    @property
    def plain_value(self) -> Any:
        return self.value["v"]
