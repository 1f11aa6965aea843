"""Tables of reports: the daily GMV rollup (see docs/gmv.md for what GMV means here).

One row per (UTC day, market, shop), kept up to date by additive upserts in the same transaction as the
payment or refund, so reports read a few thousand small rows instead of scanning orders."""

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn


class GmvDaily(Base):
    __tablename__ = "gmv_daily"

    # The primary key is the unique (day, market, shop_id) the upserts conflict on. No foreign key to shops:
    # the rollup is derived data, and reports must keep working for a shop that is later closed or removed.
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    market: Mapped[str] = mapped_column(String(2), primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    # Minor units of `currency`; BigInteger because a large shop's yearly sums outgrow 32 bits.
    gmv: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(BigInteger, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    units_sold: Mapped[int] = mapped_column(Integer, default=0)
    units_refunded: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_gmv_daily_shop_day", "shop_id", "day"),
        Index("ix_gmv_daily_market_day", "market", "day"),
    )
