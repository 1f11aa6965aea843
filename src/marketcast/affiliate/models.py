"""Tables of the affiliate area: collaborations and their members, showcases, shoppable content, links and
clicks, commissions, their adjustments, statements and payouts.

No foreign keys to other areas' tables (creators, products, orders): areas meet through services. Inside the
area, keys hold the rows together and unique constraints hold the rules the database can hold (one member
per collaboration and creator, one commission per order line, one statement per creator and period)."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime


class Collaboration(Base):
    __tablename__ = "collaborations"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn, index=True)
    market: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(10))  # open | targeted
    status: Mapped[str] = mapped_column(String(10))  # active | ended
    name: Mapped[str] = mapped_column(String(120), default="")
    message: Mapped[str] = mapped_column(String(2000), default="")
    commission_rate_bps: Mapped[int] = mapped_column(Integer)
    all_products: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    # Targeted: the end time the shop set. Ended (by the shop): the start of the next day in the market's
    # timezone. New attribution stops at whichever comes first; None: open-ended.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("kind IN ('open', 'targeted')", name="kind"),
        CheckConstraint("commission_rate_bps > 0 AND commission_rate_bps <= 10000", name="rate"),
        Index("ix_collaborations_browse", "market", "kind", "status", "commission_rate_bps"),
    )


class CollaborationProduct(Base):
    __tablename__ = "collaboration_products"

    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id", ondelete="CASCADE"),
                                                  primary_key=True)
    product_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)

    __table_args__ = (Index("ix_collaboration_products_product", "product_id"),)


class CollaborationMember(Base):
    """A creator in a collaboration: invited (targeted), pending approval (open, approval required) or joined.

    `commission_rate_bps` is the member's rate now; a decrease made while their lock runs waits in
    `pending_rate_bps` until `pending_from` (= `locked_until`), when it applies."""

    __tablename__ = "collaboration_members"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    collaboration_id: Mapped[str] = mapped_column(ForeignKey("collaborations.id", ondelete="CASCADE"))
    creator_id: Mapped[str] = mapped_column(IdColumn)
    status: Mapped[str] = mapped_column(String(20))  # invited | pending_approval | joined
    commission_rate_bps: Mapped[int] = mapped_column(Integer)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pending_rate_bps: Mapped[int | None] = mapped_column(Integer)
    pending_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("collaboration_id", "creator_id", name="uq_collaboration_members_creator"),
        Index("ix_collaboration_members_creator", "creator_id", "status"),
        Index("ix_collaboration_members_pending", "pending_from"),
    )


class ShowcaseItem(Base):
    __tablename__ = "showcase_items"

    creator_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    product_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ShoppableContent(Base):
    __tablename__ = "shoppable_contents"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    creator_id: Mapped[str] = mapped_column(IdColumn)
    kind: Mapped[str] = mapped_column(String(10))  # video | post
    url: Mapped[str] = mapped_column(String(2000))
    product_ids: Mapped[list[str]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_shoppable_contents_creator", "creator_id", "kind", "created_at"),)


class AffiliateLink(Base):
    __tablename__ = "affiliate_links"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    creator_id: Mapped[str] = mapped_column(IdColumn)
    product_id: Mapped[str] = mapped_column(IdColumn)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("creator_id", "product_id", name="uq_affiliate_links_creator_product"),)


class LinkClick(Base):
    """A click on a link, by a signed-in buyer (`buyer_id`) or a console visitor known by a first-party cookie
    (`visitor_id`) until they sign in and the click is theirs."""

    __tablename__ = "link_clicks"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    token: Mapped[str] = mapped_column(ForeignKey("affiliate_links.token", ondelete="CASCADE"))
    creator_id: Mapped[str] = mapped_column(IdColumn)
    product_id: Mapped[str] = mapped_column(IdColumn)
    buyer_id: Mapped[str | None] = mapped_column(IdColumn)
    visitor_id: Mapped[str | None] = mapped_column(String(40), index=True)
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_link_clicks_buyer_product", "buyer_id", "product_id", "clicked_at"),)


COMMISSION_STATUSES = ("pending", "settleable", "settled", "reversed", "frozen", "ineligible")


class Commission(Base):
    """One per attributed order line. `original_amount` is what the line earned when paid; `amount` follows
    refunds (pro rata, 0 when reversed); `settled_amount` is what a statement paid for it."""

    __tablename__ = "commissions"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    order_id: Mapped[str] = mapped_column(IdColumn, index=True)
    order_line_id: Mapped[str] = mapped_column(IdColumn)
    creator_id: Mapped[str] = mapped_column(IdColumn)
    collaboration_id: Mapped[str | None] = mapped_column(IdColumn)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    market: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(10))
    commission_rate_bps: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    base_amount: Mapped[int] = mapped_column(BigInteger)
    original_amount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    settled_amount: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    ineligible_reason: Mapped[str | None] = mapped_column(String(40))
    frozen_reason: Mapped[str | None] = mapped_column(String(500))
    status_before_freeze: Mapped[str | None] = mapped_column(String(12))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settleable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    statement_id: Mapped[str | None] = mapped_column(ForeignKey("affiliate_statements.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("order_line_id", name="uq_commissions_order_line_id"),
        CheckConstraint("status IN ('pending', 'settleable', 'settled', 'reversed', 'frozen', 'ineligible')",
                        name="status"),
        CheckConstraint("amount >= 0 AND amount <= original_amount", name="amount"),
        Index("ix_commissions_creator_status", "creator_id", "status", "id"),
        Index("ix_commissions_shop", "shop_id", "id"),
        Index("ix_commissions_due", "status", "delivered_at"),
    )


class CommissionAdjustment(Base):
    """A refund after settlement: the part of a settled commission given back, as a negative amount on the
    creator's next statement (`statement_id` set when that statement closes)."""

    __tablename__ = "commission_adjustments"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    commission_id: Mapped[str] = mapped_column(ForeignKey("commissions.id", ondelete="CASCADE"), index=True)
    creator_id: Mapped[str] = mapped_column(IdColumn)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(40))
    statement_id: Mapped[str | None] = mapped_column(ForeignKey("affiliate_statements.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_commission_adjustments_open", "creator_id", "statement_id"),)


class Statement(Base):
    """A creator's statement for one period: total = its commission lines + its adjustments; the balance
    (carried in + total) is paid out when it reaches the minimum payout, else carried to the next one."""

    __tablename__ = "affiliate_statements"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    creator_id: Mapped[str] = mapped_column(IdColumn)
    market: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    commissions_total: Mapped[int] = mapped_column(BigInteger)
    adjustments_total: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    carried_in: Mapped[int] = mapped_column(BigInteger)
    paid_out: Mapped[int] = mapped_column(BigInteger)
    carried_out: Mapped[int] = mapped_column(BigInteger)
    # The policy values the close used, so a statement explains itself later.
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("creator_id", "period_start", name="uq_affiliate_statements_creator_period"),
        CheckConstraint("total = commissions_total + adjustments_total", name="total"),
        CheckConstraint("paid_out + carried_out = carried_in + total", name="balance"),
        Index("ix_affiliate_statements_creator", "creator_id", "period_start"),
    )


class Payout(Base):
    __tablename__ = "affiliate_payouts"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    statement_id: Mapped[str] = mapped_column(ForeignKey("affiliate_statements.id"), unique=True)
    creator_id: Mapped[str] = mapped_column(IdColumn, index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))  # scheduled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
