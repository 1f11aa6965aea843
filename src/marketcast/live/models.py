"""Tables of the live area: sessions, their bag, flash deals, each buyer's count on a deal, and the pilot hosts'
weekly LIVE counters.

No foreign keys to other areas' tables (shops, creators, products, SKUs): areas meet through services. The counters
the database must hold under any concurrency are columns with CHECKs that guarded UPDATEs move (a deal's units,
a buyer's units on a deal, a pilot's LIVEs this week); see docs/adr/0016."""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, UTCDateTime

SESSION_STATUSES = ("scheduled", "live", "ended", "cancelled")
DEAL_STATUSES = ("scheduled", "counting_down", "open", "sold_out", "ended")


class LiveSession(Base):
    __tablename__ = "live_sessions"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    market: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(200))
    # Who hosts: a shop (self-broadcast) or a creator; host_user_id is who may run it.
    host_kind: Mapped[str] = mapped_column(String(8))
    shop_id: Mapped[str | None] = mapped_column(IdColumn)
    creator_id: Mapped[str | None] = mapped_column(IdColumn)
    host_user_id: Mapped[str] = mapped_column(IdColumn)
    status: Mapped[str] = mapped_column(String(12))
    playback_url: Mapped[str] = mapped_column(String(2000))
    pinned_product_id: Mapped[str | None] = mapped_column(IdColumn)
    scheduled_start: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("status IN ('scheduled', 'live', 'ended', 'cancelled')", name="status"),
        CheckConstraint("host_kind IN ('shop', 'creator')", name="host_kind"),
        CheckConstraint("(host_kind = 'shop' AND shop_id IS NOT NULL AND creator_id IS NULL) OR "
                        "(host_kind = 'creator' AND creator_id IS NOT NULL AND shop_id IS NULL)", name="one_host"),
        Index("ix_live_sessions_market_status", "market", "status", "id"),
        Index("ix_live_sessions_shop", "shop_id", "id"),
        Index("ix_live_sessions_creator", "creator_id", "id"),
    )


class BagItem(Base):
    """A product in a session's bag, at a position (0 first)."""

    __tablename__ = "live_bag_items"

    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FlashDeal(Base):
    """A flash deal on one SKU of a session's bag. Its allotment is taken from the SKU's available stock when the
    deal is made and held in the SKU's `reserved` counter until orders are paid (catalog moves reserved → sold as
    for any order) or the deal ends (what is left goes back to available, once: the guarded move to `ended`).

    Always: allotment = units_left + sold + returned. `sold` counts units in orders that stand (a cancelled or
    expired order gives its units back to the deal while it runs, to the SKU after)."""

    __tablename__ = "live_deals"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    market: Mapped[str] = mapped_column(String(2))
    product_id: Mapped[str] = mapped_column(IdColumn)
    sku_id: Mapped[str] = mapped_column(IdColumn)
    currency: Mapped[str] = mapped_column(String(3))
    deal_price: Mapped[int] = mapped_column(BigInteger)
    regular_price: Mapped[int] = mapped_column(BigInteger)
    allotment: Mapped[int] = mapped_column(Integer)
    units_left: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    per_buyer_limit: Mapped[int] = mapped_column(Integer)
    countdown_seconds: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    # The unpaid expiry of the deal's orders, fixed when the deal is made (live.flash_deal.unpaid_expiry_minutes).
    unpaid_expiry_minutes: Mapped[int] = mapped_column(Integer)
    # 1: the units are counted on this row (one guarded UPDATE per order). More: a hot deal's units are split over
    # that many DealBucket rows, so buyers queue on different rows (docs/adr/0016); this row then holds
    # units_left = sold = 0 until the deal ends, when the buckets are drained into `returned` and `sold`.
    buckets: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(14))
    # When the countdown starts (scheduled), when buying opens and ends; set once the countdown is known.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("status IN ('scheduled', 'counting_down', 'open', 'sold_out', 'ended')", name="status"),
        CheckConstraint("units_left >= 0", name="units_left_not_negative"),
        CheckConstraint("sold >= 0", name="sold_not_negative"),
        CheckConstraint("returned >= 0", name="returned_not_negative"),
        CheckConstraint("buckets > 1 OR units_left + sold + returned = allotment", name="units_conserved"),
        CheckConstraint("buckets >= 1", name="buckets_positive"),
        CheckConstraint("deal_price > 0 AND deal_price < regular_price", name="price_below_regular"),
        CheckConstraint("per_buyer_limit >= 1", name="per_buyer_limit_positive"),
        Index("ix_live_deals_due", "status", "starts_at"),
    )


class DealBucket(Base):
    """A share of a bucketed deal's units: takes pick a bucket by the order, so concurrent buyers lock
    different rows; the CHECK is the last line of defence against a negative count."""

    __tablename__ = "live_deal_buckets"

    deal_id: Mapped[str] = mapped_column(ForeignKey("live_deals.id", ondelete="CASCADE"), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    units_left: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("units_left >= 0", name="bucket_units_not_negative"),)


class DealBuyer(Base):
    """Units one buyer holds on one deal: raised by one guarded upsert (`units + q <= limit`), so concurrent
    checkouts of one buyer can never pass the per-buyer limit; the CHECK is the last line of defence."""

    __tablename__ = "live_deal_buyers"

    deal_id: Mapped[str] = mapped_column(ForeignKey("live_deals.id", ondelete="CASCADE"), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    units: Mapped[int] = mapped_column(Integer)
    cap: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("units >= 0 AND units <= cap", name="units_within_cap"),)


class HostWeek(Base):
    """LIVEs a pilot creator started in one week (Monday, the market's timezone): a guarded counter."""

    __tablename__ = "live_host_weeks"

    creator_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    started: Mapped[int] = mapped_column(Integer)


from marketcast.live.metric_models import HostDay, Presence, SessionFigures, Viewer  # noqa: E402, F401  (registered)
