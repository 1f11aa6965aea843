"""What the affiliate API takes and gives. Limits that are policies (rates, 50 creators, 100 products) are
checked by the service against the values in force, so the schema bounds here are only against abuse."""

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from marketcast.core.fields import WholeNumber
from marketcast.core.money import Money
from marketcast.orders.service import AttributionSource

IdStr = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]
Rate = Annotated[WholeNumber, Field(ge=-1_000_000, le=1_000_000, description="basis points: 1000 = 10%")]


class CollaborationKind(StrEnum):
    """Open: any eligible creator may join; targeted: only the creators the shop invites."""

    OPEN = "open"
    TARGETED = "targeted"


class CollaborationStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class MemberStatus(StrEnum):
    """A creator's place in a collaboration: invited (targeted), waiting for the shop's approval, or joined."""

    INVITED = "invited"
    PENDING_APPROVAL = "pending_approval"
    JOINED = "joined"


class CommissionStatus(StrEnum):
    """Pending until the hold after delivery ends, then settleable, settled on a statement; reversed by a
    cancellation or full refund, frozen by an operator, ineligible from the start (with the reason)."""

    PENDING = "pending"
    SETTLEABLE = "settleable"
    SETTLED = "settled"
    REVERSED = "reversed"
    FROZEN = "frozen"
    INELIGIBLE = "ineligible"


class ContentKind(StrEnum):
    VIDEO = "video"
    POST = "post"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CollaborationIn(Strict):
    kind: CollaborationKind
    commission_rate_bps: Rate
    product_ids: list[IdStr] = Field(default_factory=list, max_length=1000)
    all_products: bool = False
    requires_approval: bool = False
    creator_ids: list[IdStr] = Field(default_factory=list, max_length=1000)
    ends_at: datetime | None = None
    message: str = Field("", max_length=2000, pattern=r"^[^\x00]*$")
    name: str = Field("", max_length=120, pattern=r"^[^\x00]*$")


class RateIn(Strict):
    commission_rate_bps: Rate


class ConflictOut(BaseModel):
    creator_id: str | None
    product_id: str | None
    code: str


class CollaborationOut(BaseModel):
    id: str
    shop_id: str
    market: str
    kind: CollaborationKind
    status: CollaborationStatus
    name: str
    message: str
    commission_rate_bps: int
    all_products: bool
    requires_approval: bool
    product_ids: list[str]
    ends_at: datetime | None
    created_at: datetime
    conflicts: list[ConflictOut] = []

    @classmethod
    def of(cls, c, product_ids: list[str], conflicts: Sequence[dict] = ()) -> "CollaborationOut":
        return cls(id=c.id, shop_id=c.shop_id, market=c.market, kind=c.kind, status=c.status, name=c.name,
                   message=c.message, commission_rate_bps=c.commission_rate_bps, all_products=c.all_products,
                   requires_approval=c.requires_approval, product_ids=product_ids, ends_at=c.ends_at,
                   created_at=c.created_at, conflicts=[ConflictOut(**x) for x in conflicts])


class MembershipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    collaboration_id: str
    creator_id: str
    status: MemberStatus
    commission_rate_bps: int
    locked_until: datetime | None
    pending_rate_bps: int | None
    pending_from: datetime | None


class ShowcaseProductIn(Strict):
    product_id: IdStr


class ShowcaseItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: str
    added_at: datetime


class ContentIn(Strict):
    kind: ContentKind
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://[^\s\x00]+$")
    product_ids: list[IdStr] = Field(min_length=1, max_length=20)


class ContentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    creator_id: str
    kind: ContentKind
    url: str
    product_ids: list[str]
    created_at: datetime


class LinkOut(BaseModel):
    token: str
    url: str
    creator_id: str
    product_id: str
    created_at: datetime


class ClickOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    token: str
    creator_id: str
    product_id: str
    clicked_at: datetime


class CommissionOut(BaseModel):
    id: str
    order_id: str
    order_line_id: str
    creator_id: str
    collaboration_id: str | None
    shop_id: str
    status: CommissionStatus
    source: AttributionSource
    base: Money
    amount: Money
    commission_rate_bps: int
    ineligible_reason: str | None
    frozen_reason: str | None
    statement_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, c) -> "CommissionOut":
        return cls(id=c.id, order_id=c.order_id, order_line_id=c.order_line_id, creator_id=c.creator_id,
                   collaboration_id=c.collaboration_id, shop_id=c.shop_id, status=c.status, source=c.source,
                   base=Money(amount=c.base_amount, currency=c.currency),
                   amount=Money(amount=c.amount, currency=c.currency), commission_rate_bps=c.commission_rate_bps,
                   ineligible_reason=c.ineligible_reason, frozen_reason=c.frozen_reason,
                   statement_id=c.statement_id, created_at=c.created_at)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class AdjustmentOut(BaseModel):
    id: str
    commission_id: str
    amount: Money
    reason: str
    created_at: datetime


class StatementOut(BaseModel):
    id: str
    creator_id: str
    market: str
    period_start: datetime
    period_end: datetime
    commissions_total: Money
    adjustments_total: Money
    total: Money
    carried_in: Money
    paid_out: Money
    carried_out: Money
    closed_at: datetime

    @classmethod
    def of(cls, s) -> "StatementOut":
        def money(amount: int) -> Money:
            return Money(amount=amount, currency=s.currency)

        return cls(id=s.id, creator_id=s.creator_id, market=s.market, period_start=s.period_start,
                   period_end=s.period_end, commissions_total=money(s.commissions_total),
                   adjustments_total=money(s.adjustments_total), total=money(s.total),
                   carried_in=money(s.carried_in), paid_out=money(s.paid_out), carried_out=money(s.carried_out),
                   closed_at=s.closed_at)


class StatementDetailOut(StatementOut):
    lines: list[CommissionOut]
    adjustments: list[AdjustmentOut]
    payout: Money | None


class OwedOut(BaseModel):
    shop_id: str
    owed: dict[str, dict[str, int]] = Field(description="currency -> commission status -> minor units")


class EarningsOut(BaseModel):
    """earned − reversed = paid + carried + outstanding (minor units of the creator's market currency)."""

    creator_id: str
    earned: int
    reversed: int
    paid: int
    carried: int
    outstanding: int
