"""What the finance API takes and gives. Amounts are Money (minor units + currency), signed from the shop's
side: a fee is negative, a sale positive."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from marketcast.core.fields import Currency, WholeNumber
from marketcast.core.money import Money


class LedgerEntryKind(StrEnum):
    """What a ledger entry books."""

    sale = "sale"
    refund = "refund"
    referral_fee = "referral_fee"
    fee_refund = "fee_refund"
    commission = "commission"
    benefit = "benefit"
    adjustment = "adjustment"


class LedgerEntryStatus(StrEnum):
    """Where an entry stands: pending (its hold is not over), payable, or on a statement."""

    pending = "pending"
    payable = "payable"
    stated = "stated"


class StatementLineName(StrEnum):
    sales = "sales"
    refunds = "refunds"
    fees = "fees"
    fee_refunds = "fee_refunds"
    commissions = "commissions"
    benefits = "benefits"
    adjustments = "adjustments"


class ShopPayoutStatus(StrEnum):
    scheduled = "scheduled"
    paid = "paid"



class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignedMoneyIn(Strict):
    amount: WholeNumber = Field(ge=-10**12, le=10**12, description="minor units, signed from the shop's side")
    currency: Currency


class AdjustmentIn(Strict):
    amount: SignedMoneyIn
    reason: str = Field(min_length=1, max_length=500)


class EntryDetails(BaseModel):
    """How an entry's amount was computed; which fields are there depends on its kind."""

    referral_bps: int | None = Field(None, description="referral_fee: the rate charged")
    base_bps: int | None = Field(None, description="referral_fee: finance.fee.referral_bps in force")
    discount_bps: int | None = Field(None, description="referral_fee: the shop's discount then")
    discount_id: str | None = None
    fixed_fee: int | None = Field(None, description="referral_fee: finance.fee.per_order in force (minor units)")
    base: int | None = Field(None, description="referral_fee: what the buyer paid")
    referral: int | None = Field(None, description="referral_fee: the rate's part")
    fixed: int | None = Field(None, description="referral_fee: the fixed part")
    policy_versions: dict[str, str | None] | None = Field(None, description="policy key -> version used")
    fee: int | None = Field(None, description="fee_refund: the order's fees")
    paid: int | None = Field(None, description="fee_refund: what the buyer paid")
    refunded: int | None = Field(None, description="fee_refund: refunded so far, this refund included")
    owed: int | None = Field(None, description="commission: owed to creators for the order now")
    booked_before: int | None = Field(None, description="commission: what the ledger held before")
    source: str | None = Field(None, description="benefit: the area or program that posted it")
    reference: str | None = None


class StatementRules(BaseModel):
    """The policy values a statement's close used."""

    settlement_period: str | None = Field(None, description="shop.settlement.period")
    min_payout: int | None = Field(None, description="shop.payout.min_amount, minor units")

    @classmethod
    def of(cls, rules: dict) -> "StatementRules":
        return cls(settlement_period=rules.get("shop.settlement.period"),
                   min_payout=rules.get("shop.payout.min_amount"))


class LedgerEntryOut(BaseModel):
    id: str
    kind: LedgerEntryKind
    order_id: str | None
    refund_id: str | None
    amount: Money = Field(description="signed from the shop's side: a fee is negative")
    occurred_at: datetime
    memo: str
    status: LedgerEntryStatus = Field(description="pending (the hold is not over), payable, or stated")
    due_at: datetime | None = Field(description="when it is (or was) payable; none while the order is not delivered")
    statement_id: str | None
    details: EntryDetails = Field(description="how the amount was computed (rate, base, policies)")

    @classmethod
    def of(cls, v) -> "LedgerEntryOut":
        e = v.entry
        return cls(id=e.id, kind=e.kind, order_id=e.order_id, refund_id=e.refund_id,
                   amount=Money(amount=e.amount, currency=e.currency), occurred_at=e.occurred_at, memo=e.memo,
                   status=v.status, due_at=v.due_at, statement_id=v.statement_id,
                   details=EntryDetails.model_validate(e.meta or {}))


class BalanceOut(BaseModel):
    """pending + payable + paid = every entry of the shop's ledger."""

    shop_id: str
    pending: Money = Field(description="not payable yet: orders not delivered, or within the hold after delivery")
    payable: Money = Field(description="due and not yet paid out, including what the last statement carried")
    paid: Money = Field(description="paid out (payouts scheduled or made)")
    carried: Money = Field(description="the part of payable the last statement carried over (below the minimum)")
    scheduled: Money = Field(description="the part of paid in payouts scheduled, not yet made")

    @classmethod
    def of(cls, b) -> "BalanceOut":
        def money(amount: int) -> Money:
            return Money(amount=amount, currency=b.currency)

        return cls(shop_id=b.shop_id, pending=money(b.pending), payable=money(b.payable), paid=money(b.paid),
                   carried=money(b.carried), scheduled=money(b.scheduled))


class FeeRateOut(BaseModel):
    shop_id: str
    market: str
    at: datetime
    referral_fee_bps: int = Field(description="the rate charged: the market's policy less the discount")
    base_bps: int = Field(description="finance.fee.referral_bps in force")
    discount_bps: int
    discount_id: str | None
    fixed_fee: Money = Field(description="finance.fee.per_order in force (0 when none)")

    @classmethod
    def of(cls, r) -> "FeeRateOut":
        return cls(shop_id=r.shop_id, market=r.market, at=r.at, referral_fee_bps=r.referral_bps, base_bps=r.base_bps,
                   discount_bps=r.discount_bps, discount_id=r.discount_id,
                   fixed_fee=Money(amount=r.fixed_fee, currency=r.currency))


class ShopStatementOut(BaseModel):
    """net = sales + refunds + fees + fee_refunds + commissions + benefits + adjustments (each signed from the shop's
    side); paid_out + carried_out = carried_in + net."""

    id: str
    shop_id: str
    market: str
    period_start: datetime
    period_end: datetime
    sales: Money
    refunds: Money
    fees: Money
    fee_refunds: Money
    commissions: Money
    benefits: Money
    adjustments: Money
    net: Money
    carried_in: Money
    paid_out: Money
    carried_out: Money
    entries: int = Field(description="how many ledger entries are behind it")
    rules: StatementRules = Field(description="the policy values the close used")
    closed_at: datetime

    @classmethod
    def of(cls, s) -> "ShopStatementOut":
        def money(amount: int) -> Money:
            return Money(amount=amount, currency=s.currency)

        figures = ("sales", "refunds", "fees", "fee_refunds", "commissions", "benefits", "adjustments", "net",
                   "carried_in", "paid_out", "carried_out")
        return cls(id=s.id, shop_id=s.shop_id, market=s.market, period_start=s.period_start, period_end=s.period_end,
                   entries=s.entries, rules=StatementRules.of(s.rules or {}), closed_at=s.closed_at,
                   **{f: money(getattr(s, f)) for f in figures})


class StatementEntryOut(BaseModel):
    id: str
    kind: LedgerEntryKind
    order_id: str | None
    refund_id: str | None
    amount: Money
    occurred_at: datetime
    memo: str

    @classmethod
    def of(cls, e) -> "StatementEntryOut":
        return cls(id=e.id, kind=e.kind, order_id=e.order_id, refund_id=e.refund_id,
                   amount=Money(amount=e.amount, currency=e.currency), occurred_at=e.occurred_at, memo=e.memo)


class StatementLineOut(BaseModel):
    line: StatementLineName
    kind: LedgerEntryKind
    amount: Money
    entries: list[StatementEntryOut]


class StatementOrderOut(BaseModel):
    order_id: str
    net: Money
    lines: dict[str, int] = Field(description="line -> minor units of this order on the statement")


class ShopPayoutOut(BaseModel):
    id: str
    statement_id: str
    shop_id: str
    market: str
    amount: Money
    status: ShopPayoutStatus
    reference: str | None
    created_at: datetime
    paid_at: datetime | None

    @classmethod
    def of(cls, p) -> "ShopPayoutOut":
        return cls(id=p.id, statement_id=p.statement_id, shop_id=p.shop_id, market=p.market,
                   amount=Money(amount=p.amount, currency=p.currency), status=p.status, reference=p.reference,
                   created_at=p.created_at, paid_at=p.paid_at)


class ShopStatementDetailOut(ShopStatementOut):
    lines: list[StatementLineOut]
    orders: list[StatementOrderOut]
    payout: ShopPayoutOut | None

    @classmethod
    def of_detail(cls, d) -> "ShopStatementDetailOut":
        s = d.statement

        def money(amount: int) -> Money:
            return Money(amount=amount, currency=s.currency)

        return cls(**ShopStatementOut.of(s).model_dump(),
                   lines=[StatementLineOut(line=x.name, kind=x.kind, amount=money(x.amount),
                                           entries=[StatementEntryOut.of(e) for e in x.entries]) for x in d.lines],
                   orders=[StatementOrderOut(order_id=o.order_id, net=money(o.net), lines=o.totals) for o in d.orders],
                   payout=ShopPayoutOut.of(d.payout) if d.payout else None)


class MarketTotalsOut(BaseModel):
    market: str
    currency: str
    statements: int
    sales: int
    refunds: int
    fees: int
    fee_refunds: int
    commissions: int
    benefits: int
    adjustments: int
    net: int
    paid_out: int
    carried_out: int


class OperatorStatementsOut(BaseModel):
    items: list[ShopStatementOut]
    next_page_token: str | None
    totals: list[MarketTotalsOut] = Field(description="per market and currency, over every statement the filters "
                                                      "match (minor units)")


class PaidIn(Strict):
    reference: str = Field(min_length=1, max_length=120, description="the transfer's reference")


class UpcomingOut(BaseModel):
    shop_id: str
    period_start: datetime
    closes_at: datetime
    expected: Money = Field(description="carried + what is due before the period ends, as known now")
    min_payout: Money
    pays: bool = Field(description="whether that reaches the minimum payout")
    scheduled: list[ShopPayoutOut] = Field(description="payouts scheduled and not yet made")
