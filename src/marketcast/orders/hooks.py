"""The points where higher areas (affiliate, live, finance) act inside an order's own transaction.

See core/hooks.py and docs/adr/0015. Payloads carry the ORM rows as they are at that moment; handlers may add
rows of their own and, for `checkout_lines` only, fill the lines' attribution before they are inserted."""

from dataclasses import dataclass, field
from typing import Any

from marketcast.core.auth.actor import Actor
from marketcast.core.hooks import Hook
from marketcast.orders.models import Order, OrderLine, Refund


@dataclass
class CheckoutDraft:
    """An order about to be inserted: `extras` holds what the request said beyond SKUs and quantities
    (e.g. `attribution`), for the area that understands it."""

    order: Order
    lines: list[OrderLine]
    buyer: Actor
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderPaid:
    order: Order
    lines: list[OrderLine]


@dataclass(frozen=True)
class OrderRefunded:
    order: Order
    refund: Refund
    lines: list[OrderLine]  # with refunded_quantity already increased
    full: bool


@dataclass(frozen=True)
class OrdersCancelled:
    """Orders that will never be paid (the buyer cancelled, or they expired): set-based, ids only."""

    order_ids: list[str]
    reason: str


@dataclass(frozen=True)
class OrderMoved:
    """A fulfilment move: `action` is ship, deliver or complete; `order.status` is the new status."""

    order: Order
    action: str


checkout_lines: Hook[CheckoutDraft] = Hook("orders.checkout_lines")
order_paid: Hook[OrderPaid] = Hook("orders.order_paid")
order_refunded: Hook[OrderRefunded] = Hook("orders.order_refunded")
orders_cancelled: Hook[OrdersCancelled] = Hook("orders.orders_cancelled")
order_moved: Hook[OrderMoved] = Hook("orders.order_moved")
