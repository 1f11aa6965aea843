"""The live area's figures: one row per session kept as it runs, each server process's viewers of a session, the
viewers seen (for unique counts), and the day rollup per host that reports and programs read (docs/adr/0023).

Time-weighted figures (viewer time, effective live time) are accumulated at each tick from the state the
previous tick left (`viewers`, `bag_size`), so no figure needs a scan of raw rows afterwards."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, UTCDateTime

SUMMED = ("views", "unique_viewers", "viewer_ms", "live_ms", "effective_ms", "impressions", "clicks", "orders", "gmv")


class _Counters:
    views: Mapped[int] = mapped_column(Integer, default=0)
    unique_viewers: Mapped[int] = mapped_column(Integer, default=0)
    peak_viewers: Mapped[int] = mapped_column(Integer, default=0)
    # Milliseconds: viewers × time watched, time live, time live with a product in the bag and a viewer present.
    viewer_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    live_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    effective_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    gmv: Mapped[int] = mapped_column(BigInteger, default=0)


class SessionFigures(_Counters, Base):
    """A session's figures so far. `viewers` and `bag_size` are the state since `ticked_at`; `rolled_up` is set,
    once, when the ended session's figures are added to its host's day (later paid orders then add to both)."""

    __tablename__ = "live_session_figures"

    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True)
    market: Mapped[str] = mapped_column(String(2))
    host_kind: Mapped[str] = mapped_column(String(8))
    host_id: Mapped[str] = mapped_column(IdColumn)
    currency: Mapped[str] = mapped_column(String(3))
    day: Mapped[date] = mapped_column(Date)
    viewers: Mapped[int] = mapped_column(Integer, default=0)
    bag_size: Mapped[int] = mapped_column(Integer, default=0)
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rolled_up: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_live_session_figures_host_day", "host_kind", "host_id", "day"),)


class Presence(Base):
    """Viewers of a session connected to one server process, as that process last said (`seen_at`). A process
    that stops saying so (killed) stops counting after PRESENCE_TTL."""

    __tablename__ = "live_presence"

    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    viewers: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Viewer(Base):
    """A viewer seen in a session (a user id, or an anonymous viewer's key): the unique count's guard."""

    __tablename__ = "live_session_viewers"

    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True)
    viewer_key: Mapped[str] = mapped_column(String(64), primary_key=True)


class HostDay(_Counters, Base):
    """A host's ended sessions, by the day (UTC) each started: sums of the sessions' figures, `peak_viewers`
    their maximum and `unique_viewers` the sum of each session's (a viewer of two sessions counts twice)."""

    __tablename__ = "live_host_days"

    host_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    host_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    market: Mapped[str] = mapped_column(String(2))
    sessions: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_live_host_days_market_day", "market", "day"),)
