"""Tables of the finance area: fee discounts, the per-shop ledger, order holds, seller statements (with the
entries behind them) and payouts.

The ledger is append-only: no code updates or deletes a `ledger_entries` row; a correction is a new entry.
Where an entry stands (pending, payable, on a statement) is derived from the order's hold and from
`finance_statement_entries`, never written on the entry. No foreign keys to other areas' tables (shops,
orders): areas meet through services. Unique constraints hold what must happen once: one entry per cause
(`source_ref`), one hold per order, one statement per shop and period, one statement per entry, one payout per
statement."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime

ENTRY_KINDS = ("sale", "refund", "referral_fee", "fee_refund", "commission", "benefit", "adjustment")
_KINDS_SQL = ", ".join(f"'{k}'" for k in ENTRY_KINDS)


class FeeDiscount(Base):
    """A referral-fee discount for one shop over [starts_at, ends_at), granted by another area (programs) through
    `finance.service.grant_fee_discount`; `reference` names what granted it, once per shop. A revoked discount
    (a clawback) applies to nothing from `revoked_at` on; what it saved before stays on the fees charged."""

    __tablename__ = "finance_fee_discounts"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    discount_bps: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("shop_id", "source", "reference", name="uq_finance_fee_discounts_reference"),
        CheckConstraint("discount_bps > 0 AND discount_bps <= 10000", name="discount"),
        CheckConstraint("ends_at > starts_at", name="window"),
        Index("ix_finance_fee_discounts_shop", "shop_id", "starts_at"),
    )


class LedgerEntry(Base):
    """One money move of a shop, signed from the shop's side (a fee is negative, a sale positive).

    `source_ref` names the cause (`order:<id>:sale`, `refund:<id>:fee_refund`, `benefit:<source>:<ref>`…): unique,
    so a cause can never be booked twice whatever calls the ledger. `meta` keeps how an amount was computed
    (rate, base, policy values), so an entry explains itself later."""

    __tablename__ = "ledger_entries"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    market: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[str | None] = mapped_column(IdColumn)
    refund_id: Mapped[str | None] = mapped_column(IdColumn)
    source_ref: Mapped[str | None] = mapped_column(String(200))
    memo: Mapped[str] = mapped_column(String(500), default="")
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actor: Mapped[str | None] = mapped_column(String(254))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("source_ref", name="uq_ledger_entries_source_ref"),
        CheckConstraint(f"kind IN ({_KINDS_SQL})", name="kind"),
        CheckConstraint("(kind NOT IN ('sale', 'fee_refund') OR amount >= 0) AND "
                        "(kind NOT IN ('refund', 'referral_fee') OR amount <= 0)", name="sign"),
        Index("ix_ledger_entries_shop", "shop_id", "occurred_at", "id"),
        Index("ix_ledger_entries_order", "order_id"),
        Index("ix_ledger_entries_market", "market", "occurred_at"),
    )


class OrderHold(Base):
    """When an order's entries become payable: `shop.settlement.hold_days` after delivery (or at once when the
    order was fully refunded before delivery). Entries of an order without a hold row are pending."""

    __tablename__ = "finance_order_holds"

    order_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    market: Mapped[str] = mapped_column(String(2))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hold_days: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(20))  # delivered | fully_refunded

    __table_args__ = (Index("ix_finance_order_holds_shop", "shop_id", "due_at"),)


class ShopStatement(Base):
    """A shop's statement for one period: `net` = its lines (signed sums of the entries behind them); the balance
    (carried in + net) is paid out from `shop.payout.min_amount`, else carried to the next one."""

    __tablename__ = "shop_statements"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    market: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    sales: Mapped[int] = mapped_column(BigInteger)
    refunds: Mapped[int] = mapped_column(BigInteger)
    fees: Mapped[int] = mapped_column(BigInteger)
    fee_refunds: Mapped[int] = mapped_column(BigInteger)
    commissions: Mapped[int] = mapped_column(BigInteger)
    benefits: Mapped[int] = mapped_column(BigInteger)
    adjustments: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
    carried_in: Mapped[int] = mapped_column(BigInteger)
    paid_out: Mapped[int] = mapped_column(BigInteger)
    carried_out: Mapped[int] = mapped_column(BigInteger)
    entries: Mapped[int] = mapped_column(Integer)
    # The policy values the close used, so a statement explains itself later.
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("shop_id", "period_start", name="uq_shop_statements_shop_period"),
        CheckConstraint("net = sales + refunds + fees + fee_refunds + commissions + benefits + adjustments",
                        name="net"),
        CheckConstraint("paid_out + carried_out = carried_in + net", name="balance"),
        CheckConstraint("paid_out >= 0", name="paid_out"),
        Index("ix_shop_statements_shop", "shop_id", "period_start"),
        Index("ix_shop_statements_market", "market", "period_start"),
    )


class StatementEntry(Base):
    """An entry on a statement: the primary key makes an entry land on one statement only, ever."""

    __tablename__ = "shop_statement_entries"

    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True)
    statement_id: Mapped[str] = mapped_column(ForeignKey("shop_statements.id"), index=True)


class ShopPayout(Base):
    __tablename__ = "shop_payouts"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    statement_id: Mapped[str] = mapped_column(ForeignKey("shop_statements.id"), unique=True)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    market: Mapped[str] = mapped_column(String(2))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))  # scheduled | paid
    reference: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('scheduled', 'paid')", name="status"),
        Index("ix_shop_payouts_shop", "shop_id", "status"),
    )
