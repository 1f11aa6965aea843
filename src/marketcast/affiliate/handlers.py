"""The affiliate area's subscriptions to the orders area's hook points (core/hooks.py, docs/adr/0019): every
commission move happens in the transaction of the order move that causes it.

Checkout is the hot path: a basket with no attribution named and no click by its buyer costs one indexed
lookup (links.last_clicks), nothing more."""

from datetime import datetime

from sqlalchemy.orm import Session

from marketcast.affiliate import commissions, links
from marketcast.core import clock
from marketcast.orders import hooks


@hooks.checkout_lines.subscribe
def attribute_lines(session: Session, drafts: list[hooks.CheckoutDraft]) -> None:
    """Store on each line the creator, source, collaboration and rate in force now (the rate lock). The buyers
    of a batched checkout who clicked none of its products are found in one query, and cost nothing more."""
    now = clock.now()
    plain = [draft for draft in drafts if not draft.extras.get("attribution")]
    if len(plain) > 1:
        clicked = links.buyers_who_clicked(session, buyer_ids=[draft.order.buyer_id for draft in plain],
                                           product_ids=sorted({line.product_id for draft in plain
                                                               for line in draft.lines}), at=now)
        drafts = [draft for draft in drafts if draft.extras.get("attribution") or draft.order.buyer_id in clicked]
    for draft in drafts:
        _attribute(session, draft, now)


def _attribute(session: Session, draft: hooks.CheckoutDraft, now: datetime) -> None:
    product_ids = list(dict.fromkeys(line.product_id for line in draft.lines))
    found = links.attribute(session, buyer_id=draft.order.buyer_id, market=draft.order.market,
                            shop_id=draft.order.shop_id, product_ids=product_ids,
                            explicit=draft.extras.get("attribution"), at=now)
    for line in draft.lines:
        attribution = found.get(line.product_id)
        if attribution is not None:
            line.creator_id, line.attribution_source = attribution.creator_id, attribution.source
            line.collaboration_id, line.commission_rate_bps = (attribution.collaboration_id,
                                                               attribution.commission_rate_bps)


@hooks.order_paid.subscribe
def commissions_for_paid_order(session: Session, paid: hooks.OrderPaid) -> None:
    if any(line.creator_id for line in paid.lines):
        commissions.record_paid(session, order=paid.order, lines=paid.lines)


@hooks.order_refunded.subscribe
def commissions_follow_refund(session: Session, refunded: hooks.OrderRefunded) -> None:
    if any(line.creator_id for line in refunded.lines):
        commissions.record_refund(session, order_id=refunded.order.id, lines=refunded.lines)


@hooks.orders_cancelled.subscribe
def commissions_follow_cancellation(session: Session, cancelled: hooks.OrdersCancelled) -> None:
    commissions.reverse_orders(session, order_ids=cancelled.order_ids, reason=cancelled.reason)


@hooks.order_moved.subscribe
def hold_starts_at_delivery(session: Session, moved: hooks.OrderMoved) -> None:
    if moved.action == "deliver":
        commissions.record_delivered(session, order_id=moved.order.id)
