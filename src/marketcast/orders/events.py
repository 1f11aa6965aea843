"""What the orders area announces: each move of an order, and refunds. Every order event carries the order's
state after the move, so a receiver needs no read-back."""

from pydantic import Field

from marketcast.core.events import EventPayload, event_type
from marketcast.orders.schemas import OrderStatus


class OrderEvent(EventPayload):
    order_id: str
    shop_id: str
    buyer_id: str
    market: str
    status: OrderStatus = Field(description="The order's status after this event")
    amount: int = Field(description="Order total in minor units")
    currency: str


@event_type("order.created")
class OrderCreated(OrderEvent):
    """A buyer checked out: the order awaits payment and its units are reserved."""

    units: int


@event_type("order.paid")
class OrderPaid(OrderEvent):
    """A payment was approved: the order is paid and its units are sold."""

    payment_id: str


@event_type("order.shipped")
class OrderShipped(OrderEvent):
    """The shop shipped a paid order, with the carrier and the parcel's tracking number."""

    carrier: str
    tracking_number: str


@event_type("order.delivered")
class OrderDelivered(OrderEvent):
    """A shipped order was delivered."""


@event_type("order.completed")
class OrderCompleted(OrderEvent):
    """A delivered order was completed (by its buyer or an operator)."""


@event_type("order.cancelled")
class OrderCancelled(OrderEvent):
    """An unpaid order was cancelled; its reserved units are back in stock."""


@event_type("order.expired")
class OrderExpired(OrderEvent):
    """An unpaid order ran past its expiry and was cancelled; its reserved units are back in stock."""


@event_type("order.refunded")
class OrderRefunded(EventPayload):
    """Money was given back for some or all units of a paid order."""

    order_id: str
    refund_id: str
    amount: int = Field(description="This refund, in minor units")
    currency: str
    restock: bool = Field(description="Whether the refunded units went back to stock")
    full: bool = Field(description="Whether every unit of the order is refunded now")
    shop_id: str
    market: str
