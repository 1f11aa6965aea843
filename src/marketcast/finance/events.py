"""What the finance area announces: entries an operator or another area posted by hand (order-caused entries
follow the order's own events), closed seller statements and payouts."""

from pydantic import Field

from marketcast.core.events import EventPayload, Instant, event_type


@event_type("ledger.entry_posted")
class LedgerEntryPosted(EventPayload):
    """A benefit (a program's credit or clawback) or an operator's adjustment was posted to a shop's ledger."""

    entry_id: str
    shop_id: str
    market: str
    kind: str = Field(description="benefit or adjustment")
    amount: int = Field(description="minor units, signed from the shop's side")
    currency: str
    memo: str

    @classmethod
    def of(cls, e) -> "LedgerEntryPosted":
        return cls(entry_id=e.id, shop_id=e.shop_id, market=e.market, kind=e.kind, amount=e.amount,
                   currency=e.currency, memo=e.memo)


@event_type("shop_statement.closed")
class ShopStatementClosed(EventPayload):
    """A shop's statement for a period closed: paid out when at least the minimum payout, else carried."""

    statement_id: str
    shop_id: str
    market: str
    currency: str
    period_start: Instant
    period_end: Instant
    net: int
    paid_out: int
    carried_out: int


class PayoutEvent(EventPayload):
    payout_id: str
    statement_id: str
    shop_id: str
    market: str
    amount: int
    currency: str


@event_type("shop_payout.scheduled")
class PayoutScheduled(PayoutEvent):
    """A statement's balance reached the minimum payout: a payout to the shop is scheduled."""


@event_type("shop_payout.paid")
class PayoutPaid(PayoutEvent):
    """An operator recorded a scheduled payout as paid, with the transfer's reference."""

    reference: str
