"""Tables of creators: the creator profile per market, its follower snapshots, every affiliate status change."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime


class Creator(Base):
    """A creator user's profile in one market. `followers` is the latest snapshot's count (denormalized so a
    market's re-evaluation reads one table); `affiliate_status` is the latest judgement."""

    __tablename__ = "creators"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    market: Mapped[str] = mapped_column(String(2))
    handle: Mapped[str] = mapped_column(String(30))
    date_of_birth: Mapped[date] = mapped_column(Date)
    followers: Mapped[int] = mapped_column(BigInteger, default=0)
    followers_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # ineligible | pilot | active | suspended; the latest status change holds the rules that decided it.
    affiliate_status: Mapped[str] = mapped_column(String(16))
    # Names of the failed rules, comma-separated: tells "which rule held it back" without loading decisions.
    failed_rules: Mapped[str] = mapped_column(String(200), default="")
    pilot_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a pilot graduated on its results (days, orders): the pilot threshold no longer holds it back.
    graduated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspend_reason: Mapped[str | None] = mapped_column(String(500))
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("market", "handle", name="uq_creators_market_handle"),
        UniqueConstraint("user_id", "market", name="uq_creators_user_market"),
        # The operator's list and its counts filter by market and status.
        Index("ix_creators_market_status", "market", "affiliate_status"),
    )


class FollowerSnapshot(Base):
    """A follower count as the social platform reported it on a day (set by an operator, an integration or an
    import). One per creator and instant: a second report for the same instant replaces the count."""

    __tablename__ = "creator_follower_snapshots"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(16))  # api | import | scenario
    recorded_by: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("creator_id", "as_of", name="uq_creator_follower_snapshots_at"),)


class StatusChange(Base):
    """Every affiliate status change of a creator, with the rules, the values compared and the policy versions
    that decided it (or the operator's reason for a suspension)."""

    __tablename__ = "creator_status_changes"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # created | followers | reevaluation | suspend | unsuspend | ...
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(40))  # the rule that made the move
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    policy_versions: Mapped[list[str]] = mapped_column(JSONType)
    trigger: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(500))
    actor_email: Mapped[str | None] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
