from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from marketcast.core.fields import WholeNumber
from marketcast.core.money import Money


class OrderStatus(StrEnum):
    """An order waits for payment (and expires unpaid), then is shipped, delivered and completed; cancelled is
    final."""

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class AttributionSource(StrEnum):
    """Where a creator brought the buyer: their link, showcase, a video or a LIVE."""

    LINK = "link"
    SHOWCASE = "showcase"
    VIDEO = "video"
    LIVE = "live"


class CreatorSource(StrEnum):
    """Where a creator named at checkout brought the buyer (a link is named by its token instead)."""

    SHOWCASE = "showcase"
    VIDEO = "video"
    LIVE = "live"


class PaymentStatus(StrEnum):
    """A payment attempt: processing while the provider answers, then approved, declined or error."""

    PROCESSING = "processing"
    APPROVED = "approved"
    DECLINED = "declined"
    ERROR = "error"


# Ids are short, prefixed and url-safe; anything else cannot name a row, so it is a 422 before any query.
IdStr = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]


class CheckoutLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku_id: IdStr
    quantity: WholeNumber = Field(ge=1, le=1000)
    deal_id: IdStr | None = Field(None, description="buy from this LIVE flash deal, at its price, while it is open")


class AttributionIn(BaseModel):
    """Who brought the buyer: a creator's link (`link_token`), or a creator and where (`creator_id`, `source`)."""

    model_config = ConfigDict(extra="forbid")

    link_token: str | None = Field(None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")
    creator_id: IdStr | None = None
    source: CreatorSource | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "AttributionIn":
        if bool(self.link_token) == bool(self.creator_id):
            raise ValueError("give either link_token, or creator_id with source")
        if self.creator_id and not self.source:
            raise ValueError("source is required with creator_id: showcase, video or live")
        return self


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[CheckoutLineIn] = Field(min_length=1, max_length=50)
    attribution: AttributionIn | None = Field(None, description="the creator the buyer came through; without it "
                                              "each line goes to the buyer's last click on its product, if any")


class PayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_number: str = Field(min_length=1, max_length=40, description="Test cards: 4242424242424242 approves")


class RefundLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: IdStr
    quantity: WholeNumber = Field(ge=1, le=1000)


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[RefundLineIn] = Field(min_length=1, max_length=50)
    restock: bool = False


class LineAttributionOut(BaseModel):
    creator_id: str
    source: AttributionSource
    collaboration_id: str
    commission_rate_bps: int


class OrderLineOut(BaseModel):
    id: str
    sku_id: str
    product_id: str
    title: str
    quantity: int
    unit_price: int
    amount: int
    currency: str
    refunded_quantity: int
    attribution: LineAttributionOut | None = None
    deal_id: str | None = None
    live_session_id: str | None = None

    @classmethod
    def of(cls, line) -> "OrderLineOut":
        attribution = None
        if line.creator_id is not None:
            attribution = LineAttributionOut(creator_id=line.creator_id, source=line.attribution_source,
                                             collaboration_id=line.collaboration_id,
                                             commission_rate_bps=line.commission_rate_bps)
        return cls(id=line.id, sku_id=line.sku_id, product_id=line.product_id, title=line.title,
                   quantity=line.quantity, unit_price=line.unit_price, amount=line.amount, currency=line.currency,
                   refunded_quantity=line.refunded_quantity, attribution=attribution, deal_id=line.deal_id,
                   live_session_id=line.live_session_id)


class RefundLineOut(BaseModel):
    line_id: str
    quantity: int
    amount: int


class RefundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    order_id: str
    amount: int
    currency: str
    restock: bool
    lines: list[RefundLineOut]
    actor: str
    created_at: datetime


class PaymentAttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    provider: str
    status: PaymentStatus
    reference: str
    card_last4: str
    amount: int
    currency: str
    decline_code: str | None
    message: str | None
    created_at: datetime
    finished_at: datetime | None


class OrderSummaryOut(BaseModel):
    id: str
    shop_id: str
    market: str
    buyer_id: str
    status: OrderStatus
    total: Money
    refunded: Money
    expires_at: datetime
    paid_at: datetime | None
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order) -> "OrderSummaryOut":
        return cls(id=order.id, shop_id=order.shop_id, market=order.market, buyer_id=order.buyer_id,
                   status=order.status, total=Money(amount=order.total_amount, currency=order.currency),
                   refunded=Money(amount=order.refunded_amount, currency=order.currency),
                   expires_at=order.expires_at, paid_at=order.paid_at, carrier=order.carrier,
                   tracking_number=order.tracking_number, shipped_at=order.shipped_at,
                   delivered_at=order.delivered_at, created_at=order.created_at,
                   updated_at=order.updated_at)


class OrderOut(OrderSummaryOut):
    lines: list[OrderLineOut]
    refunds: list[RefundOut] = []
    payments: list[PaymentAttemptOut] = []

    @classmethod
    def full(cls, order, lines, refunds=(), payments=()) -> "OrderOut":
        summary = OrderSummaryOut.of(order).model_dump()
        return cls(**summary, lines=[OrderLineOut.of(x) for x in lines],
                   refunds=[RefundOut.model_validate(r) for r in refunds],
                   payments=[PaymentAttemptOut.model_validate(p) for p in payments])


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: str = Field(min_length=1, max_length=60, examples=["UPS"])
    tracking_number: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9 -]+$",
                                 examples=["1Z999AA10123456784"])
