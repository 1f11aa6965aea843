"""Tables of markets: the market, its history, its waitlist."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, UTCDateTime


class Market(Base):
    __tablename__ = "markets"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)  # ISO 3166 alpha-2, upper-case
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # The canonical window text (2025-03-15, 2024-07, 2025-Q1) and its first day, for sorting.
    launch_window: Mapped[str | None] = mapped_column(String(10))
    window_start: Mapped[date | None] = mapped_column(Date)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bumped by every change; numbers the history so it reads in order even within one clock tick.
    revision: Mapped[int] = mapped_column(Integer, default=0)


class MarketEvent(Base):
    """One line of a market's history: its creation, a status change or a new launch window."""

    __tablename__ = "market_events"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    market_id: Mapped[str] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # created | transition | rescheduled
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    from_window: Mapped[str | None] = mapped_column(String(10))
    to_window: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500))
    actor_email: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("market_id", "seq", name="uq_market_events_market_seq"),)


class WaitlistEntry(Base):
    """A user waiting for a market to launch; told when its window moves and when it goes live."""

    __tablename__ = "market_waitlist"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    market_id: Mapped[str] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the launch notice went out, so a market that pauses and resumes does not notify twice.
    launch_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("market_id", "user_id", name="uq_market_waitlist_market_user"),
        Index("ix_market_waitlist_user", "user_id"),
    )
