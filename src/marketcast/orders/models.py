"""Orders, their lines, refunds, payment attempts and the probation cap's counter."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    market: Mapped[str] = mapped_column(String(2))
    buyer_id: Mapped[str] = mapped_column(IdColumn)
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[int] = mapped_column(BigInteger)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # Why it was cancelled: buyer (cancel) or expired (unpaid in time); None otherwise.
    cancel_reason: Mapped[str | None] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Fulfilment: who carries the parcel and its tracking number, set when the shop ships it.
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(80))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set while a charge is in flight (see service.begin_payment): expiry and cancel leave the order alone.
    payment_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_orders_buyer", "buyer_id", "id"),
        Index("ix_orders_shop", "shop_id", "id"),
        Index("ix_orders_market", "market", "id"),
        Index("ix_orders_due", "status", "expires_at"),
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[str] = mapped_column(IdColumn)
    product_id: Mapped[str] = mapped_column(IdColumn)
    title: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    # Who sold it, filled at checkout by the area above that knows (affiliate, through orders.hooks): the creator,
    # how the buyer came (link, showcase, video, live), the collaboration and the rate in force then (the lock).
    creator_id: Mapped[str | None] = mapped_column(IdColumn)
    attribution_source: Mapped[str | None] = mapped_column(String(10))
    collaboration_id: Mapped[str | None] = mapped_column(IdColumn)
    commission_rate_bps: Mapped[int | None] = mapped_column(Integer)
    # Bought from a flash deal: its units come from the deal's allotment, which the area above holds (live, through
    # orders.hooks), so orders neither takes nor gives back SKU stock for such a line itself. The session it was
    # bought in goes with it.
    deal_id: Mapped[str | None] = mapped_column(IdColumn)
    live_session_id: Mapped[str | None] = mapped_column(IdColumn)


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    restock: Mapped[bool] = mapped_column(Boolean)
    # [{line_id, quantity, amount}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    actor: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaymentAttempt(Base):
    __tablename__ = "payment_attempts"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))  # processing | approved | declined | error
    reference: Mapped[str] = mapped_column(String(100))
    card_last4: Mapped[str] = mapped_column(String(4))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Why a charge was not approved (card_declined, insufficient_funds, processing_error, abandoned).
    decline_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # At most one charge in flight per order, enforced by the database (a partial unique index).
        Index("uq_payment_attempts_in_flight", "order_id", unique=True,
              sqlite_where=text("status = 'processing'"), postgresql_where=text("status = 'processing'")),
    )


class ShopDailyOrders(Base):
    """Orders a probation shop took on one day of its market's calendar: the daily cap's counter. Raised by one
    guarded upsert (see daily_cap.py), so simultaneous checkouts cannot overshoot the cap."""

    __tablename__ = "shop_daily_orders"

    shop_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    placed: Mapped[int] = mapped_column(Integer)
