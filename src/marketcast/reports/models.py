"""Tables of reports: the daily GMV rollups (see docs/gmv.md for what GMV means here).

Each payment and refund adds to one row per rollup, by additive upserts in its own transaction, so reports read
a few thousand small rows instead of scanning orders: per (UTC day, market, shop) for shop reports and the
shop's own figures, and per (UTC day, market, currency, slot) for market-wide reports (docs/adr/0011)."""

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn


class GmvMeasures:
    """The figures every GMV rollup adds up; a new rollup (per creator, say) is its key columns + these."""

    currency: Mapped[str] = mapped_column(String(3))
    # Minor units of `currency`; BigInteger because a large shop's yearly sums outgrow 32 bits.
    gmv: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(BigInteger, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    units_sold: Mapped[int] = mapped_column(Integer, default=0)
    units_refunded: Mapped[int] = mapped_column(Integer, default=0)


class GmvDaily(GmvMeasures, Base):
    __tablename__ = "gmv_daily"

    # The primary key is the unique (day, market, shop_id) the upserts conflict on. No foreign key to shops:
    # the rollup is derived data, and reports must keep working for a shop that is later closed or removed.
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    market: Mapped[str] = mapped_column(String(2), primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)

    __table_args__ = (
        Index("ix_gmv_daily_shop_day", "shop_id", "day"),
        Index("ix_gmv_daily_market_day", "market", "day"),
    )


class GmvMarketDaily(GmvMeasures, Base):
    __tablename__ = "gmv_market_daily"

    # Currency is part of the key (a report has one line per currency). `slot` spreads a market's payments of
    # one day over a few rows (by shop), so concurrent payments in one market do not all queue on one row lock.
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    market: Mapped[str] = mapped_column(String(2), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True)

    __table_args__ = (Index("ix_gmv_market_daily_market_day", "market", "day"),)


class GmvAffiliateDaily(GmvMeasures, Base):
    """GMV of attributed order lines per (UTC day, market, creator, collaboration): the rollup behind
    `group_by=creator|collaboration`. Orders passes each line's attribution ids; reports knows nothing more."""

    __tablename__ = "gmv_affiliate_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    market: Mapped[str] = mapped_column(String(2), primary_key=True)
    creator_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    collaboration_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn)

    __table_args__ = (
        Index("ix_gmv_affiliate_daily_market_day", "market", "day"),
        Index("ix_gmv_affiliate_daily_shop_day", "shop_id", "day"),
    )
