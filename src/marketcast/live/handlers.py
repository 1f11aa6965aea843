"""The live area's subscriptions to the orders area's hook points (docs/adr/0015, 0016): a deal line is priced
and attributed at checkout, its units come from the deal's allotment, and a cancelled or expired order gives
them back, each in the order's own transaction. The admission gate turns buyers of a sold-out deal away before
the checkout's transaction opens."""

from sqlalchemy.orm import Session

from marketcast.live import deals, gate, metrics, rooms
from marketcast.orders import hooks


@hooks.checkout_admission.subscribe
async def turn_away_sold_out(request: hooks.CheckoutRequest) -> None:
    for _, _, deal_id in request.lines:
        await gate.check(deal_id, request.fingerprint)


@hooks.checkout_lines.subscribe
def price_deal_lines(session: Session, drafts: list[hooks.CheckoutDraft]) -> None:
    for draft in drafts:  # the deals are read once per transaction (deals.price_lines)
        if any(line.deal_id for line in draft.lines):
            deals.price_lines(session, order=draft.order, lines=draft.lines)


@hooks.held_stock.subscribe
def take_deal_units(session: Session, held: hooks.HeldStock) -> None:
    deals.take(session, buyer_id=held.order.buyer_id, lines=held.lines)


@hooks.held_stock_many.subscribe
def take_batched_deal_units(session: Session, held: hooks.HeldStockMany) -> None:
    deals.take_many(session, held)


@hooks.orders_cancelled.subscribe
def give_deal_units_back(session: Session, cancelled: hooks.OrdersCancelled) -> None:
    if cancelled.held:
        deals.give_back(session, held=cancelled.held, buyers_of=cancelled.buyers)


@hooks.order_paid.subscribe
def count_live_sale(session: Session, paid: hooks.OrderPaid) -> None:
    """A paid order's lines bought in a LIVE: an order and its GMV in that session's figures."""
    amounts: dict[str, int] = {}
    for line in paid.lines:
        if line.live_session_id:
            amounts[line.live_session_id] = amounts.get(line.live_session_id, 0) + line.amount
            rooms.purchased(session, session_id=line.live_session_id, product_id=line.product_id,
                            sku_id=line.sku_id, quantity=line.quantity, deal_id=line.deal_id)
    for session_id, amount in amounts.items():
        metrics.record_paid(session, session_id=session_id, amount=amount, currency=paid.order.currency)
