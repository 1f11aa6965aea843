"""Products and their SKUs. Stock lives on the SKU row as three counters (available, reserved, sold)
that only ever move by guarded single-statement UPDATEs (see service.py); the CHECK constraints are
the last line of defence against a negative count."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime, dialect_index

PRODUCT_STATUSES = ("draft", "live", "delisted")
class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    # No foreign key to shops: business areas meet through each other's service, not their tables.
    shop_id: Mapped[str] = mapped_column(IdColumn)
    market: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # The cheapest SKU's price, kept on the product so price filters need no join.
    min_price: Mapped[int] = mapped_column(BigInteger)
    # Lower-cased title + description: the LIKE search reads one column (trigram-indexed on PostgreSQL).
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'live', 'delisted')", name="status"),
        CheckConstraint("min_price > 0", name="min_price_positive"),
        # The public listing: by market or by shop, live only, in id order; and by price within a market.
        Index("ix_products_market_status_id", "market", "status", "id"),
        Index("ix_products_shop_status_id", "shop_id", "status", "id"),
        Index("ix_products_market_status_price", "market", "status", "min_price"),
        # Text search on PostgreSQL: the LIKE '%word%' of list_products, served by trigrams (same rows as a scan).
        # SQLite has no such index and scans within the market's listing index.
        dialect_index("ix_products_search_text_trgm", "search_text", dialect="postgresql", extension="pg_trgm",
                      postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}),
    )


class Sku(Base):
    __tablename__ = "skus"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    shop_id: Mapped[str] = mapped_column(IdColumn, index=True)
    code: Mapped[str] = mapped_column(String(64))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    sold: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("product_id", "code", name="uq_skus_product_code"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("sold >= 0", name="sold_not_negative"),
    )
