"""The points where higher areas (affiliate, live, finance) act inside an order's own transaction.

See core/hooks.py and docs/adr/0015. Payloads carry the ORM rows as they are at that moment; handlers may add
rows of their own and, for `checkout_lines` only, fill the lines' attribution (and a deal line's price) before
they are inserted. `held_stock` (`held_stock_many` for a batched checkout) takes the units of lines a higher area
holds (deal lines); `checkout_admission` runs before any transaction."""

from dataclasses import dataclass, field
from typing import Any

from marketcast.core.auth.actor import Actor
from marketcast.core.errors import DomainError
from marketcast.core.hooks import Gate, Hook
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
class HeldUnits:
    """Units of one order line that a higher area holds (a line with a deal_id): orders takes and gives back no
    SKU stock for them."""

    order_id: str
    deal_id: str
    sku_id: str
    quantity: int


@dataclass(frozen=True)
class HeldStock:
    """Checkout's contended step for the lines a higher area holds: take their units, or raise (409)."""

    order: Order
    lines: list[OrderLine]


class ServeEach(Exception):
    """Raised by a `held_stock_many` handler for orders it does not take together: each is offered alone."""


@dataclass
class HeldStockMany:
    """`HeldStock` for many orders of one batched checkout (orders.batch): take every order's units, or record in
    `refused` why an order gets none (a buyer over the limit); raise when the orders cannot be served together
    (the last units), and each is then offered to `held_stock` alone."""

    orders: list[HeldStock]
    refused: dict[str, DomainError] = field(default_factory=dict)


@dataclass(frozen=True)
class OrdersCancelled:
    """Orders that will never be paid (the buyer cancelled, or they expired): set-based, ids only, with the held
    units they give back (for their holder to take back) and each order's buyer."""

    order_ids: list[str]
    reason: str
    held: list[HeldUnits] = field(default_factory=list)
    buyers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutRequest:
    """A checkout as the client sent it, before any transaction: (sku_id, quantity, deal_id) per deal line, and a
    fingerprint of who sent it with which Idempotency-Key (a hash of both), by which a handler can tell the retry
    of a request it saw succeed (which must be answered by the replay, not refused)."""

    lines: list[tuple[str, int, str]]
    fingerprint: str


@dataclass(frozen=True)
class OrderMoved:
    """A fulfilment move: `action` is ship, deliver or complete; `order.status` is the new status."""

    order: Order
    action: str


# Fired once with every draft of a checkout (many for a batched checkout, orders.batch): handlers work set-based.
checkout_lines: Hook[list[CheckoutDraft]] = Hook("orders.checkout_lines")
held_stock: Hook[HeldStock] = Hook("orders.held_stock")
held_stock_many: Hook[HeldStockMany] = Hook("orders.held_stock_many")
# Before the checkout's unit of work opens: a handler may turn the request away (raise a DomainError) from what
# it knows without the database (a deal it has seen sell out). Never writes.
checkout_admission: Gate[CheckoutRequest] = Gate("orders.checkout_admission")
order_paid: Hook[OrderPaid] = Hook("orders.order_paid")
order_refunded: Hook[OrderRefunded] = Hook("orders.order_refunded")
orders_cancelled: Hook[OrdersCancelled] = Hook("orders.orders_cancelled")
order_moved: Hook[OrderMoved] = Hook("orders.order_moved")
