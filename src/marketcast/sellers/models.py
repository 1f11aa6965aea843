"""Tables of sellers: the seller entity, its shops, its applications, their decisions and documents."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime


class Seller(Base):
    """The legal entity behind shops (KYB data). One per seller user."""

    __tablename__ = "sellers"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    owner_user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(24))  # individual | sole_proprietorship | company
    country: Mapped[str] = mapped_column(String(2))
    tax_id: Mapped[str] = mapped_column(String(64))
    beneficial_owners: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    owner_user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    market: Mapped[str] = mapped_column(String(2))
    shop_type: Mapped[str] = mapped_column(String(16))  # local | cross_border
    mode: Mapped[str] = mapped_column(String(16))  # pop | managed
    status: Mapped[str] = mapped_column(String(16))  # applying | probation | active | suspended | closed
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str] = mapped_column(String(20), index=True)
    application_id: Mapped[str | None] = mapped_column(IdColumn)
    probation_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Counted by orders when a payment lands; graduation compares it with shop.probation.orders.
    paid_orders: Mapped[int] = mapped_column(Integer, default=0)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        # One shop per seller per market, even when two approvals race.
        UniqueConstraint("seller_id", "market", name="uq_shops_seller_market"),
        Index("ix_shops_status_market", "status", "market"),
    )


class Application(Base):
    """A seller's request to open a shop in a market, with its latest decision denormalized for the queue."""

    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    market: Mapped[str] = mapped_column(String(2))
    shop_type: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    shop_name: Mapped[str] = mapped_column(String(200))
    representative_name: Mapped[str] = mapped_column(String(200))
    representative_birth_date: Mapped[date] = mapped_column(Date)
    contact_email: Mapped[str] = mapped_column(String(254), index=True)  # lower-case
    contact_phone: Mapped[str] = mapped_column(String(20), index=True)  # "+" and digits
    business_address: Mapped[dict[str, Any]] = mapped_column(JSONType)
    business_country: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16))  # open | approved | rejected
    # Who rejected: "rules" (a reviewer confirmed an ineligible verdict; re-judged when policies change)
    # or "reviewer" (a judgement the rules cannot undo). None unless rejected.
    rejected_by: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))  # eligible | ineligible (latest decision)
    # Names of the failed rules, comma-separated: lets a re-evaluation tell "changed" without loading decisions.
    failed_rules: Mapped[str] = mapped_column(String(200), default="")
    decision: Mapped[dict[str, Any]] = mapped_column(JSONType)  # latest decision: rules, next_step, versions
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    shop_id: Mapped[str | None] = mapped_column(IdColumn)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        # The review queue and the set-based re-evaluation both select by market, status and outcome.
        Index("ix_applications_market_status_outcome", "market", "status", "outcome"),
        # One open application per seller and market, even when two submissions race (a partial unique index).
        Index("uq_applications_open_seller_market", "seller_id", "market", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )


class ExternalRecord(Base):
    """Trading history elsewhere (Amazon, eBay …) that cross-border rules compare against."""

    __tablename__ = "application_external_records"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    gmv_amount: Mapped[int] = mapped_column(BigInteger)
    gmv_currency: Mapped[str] = mapped_column(String(3))
    rating_hundredths: Mapped[int | None] = mapped_column(Integer)
    months_trading: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_external_records_app_currency", "application_id", "gmv_currency", "gmv_amount"),)


class ApplicationDecision(Base):
    """Every judgement of an application, kept: on submission, on re-evaluation, on review."""

    __tablename__ = "application_decisions"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # submitted | reevaluation | review
    outcome: Mapped[str] = mapped_column(String(16))  # eligible | ineligible | approved | rejected
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    policy_versions: Mapped[list[str]] = mapped_column(JSONType)
    next_step: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    trigger: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(500))
    overridden_rules: Mapped[list[str] | None] = mapped_column(JSONType)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApplicationDocument(Base):
    __tablename__ = "application_documents"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(24))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(254))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ShopEvent(Base):
    """One line of a shop's history that its columns do not tell: a suspension or a reinstatement, with why."""

    __tablename__ = "shop_events"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # suspended | reinstated
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    actor_email: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
