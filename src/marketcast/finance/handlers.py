"""The finance area's subscriptions to the orders area's hook points (core/hooks.py, docs/adr/0015): every
ledger entry is written in the transaction of the order move that causes it, so the ledger and the order can
never disagree.

Areas load in layer order (areas.AREAS), so the affiliate area's handlers have already moved the order's
commissions when these run: the ledger books what the shop owes creators as it stands after them."""

from sqlalchemy.orm import Session

from marketcast.finance import ledger
from marketcast.orders import hooks


@hooks.order_paid.subscribe
def book_paid_order(session: Session, paid: hooks.OrderPaid) -> None:
    ledger.record_paid(session, order=paid.order)


@hooks.order_refunded.subscribe
def book_refund(session: Session, refunded: hooks.OrderRefunded) -> None:
    ledger.record_refund(session, order=refunded.order, refund=refunded.refund, full=refunded.full)


@hooks.order_moved.subscribe
def hold_starts_at_delivery(session: Session, moved: hooks.OrderMoved) -> None:
    if moved.action == "deliver":
        ledger.record_delivered(session, order=moved.order)
