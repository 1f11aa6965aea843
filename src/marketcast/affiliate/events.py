"""What the affiliate area announces: collaborations and their rates, members joining, showcase and content,
each move of a commission, and closed statements."""

from pydantic import Field

from marketcast.affiliate.schemas import CollaborationKind, CommissionStatus, ContentKind, MemberStatus
from marketcast.core.events import EventPayload, Instant, event_type


class CollaborationEvent(EventPayload):
    collaboration_id: str
    shop_id: str
    market: str


@event_type("collaboration.created")
class CollaborationCreated(CollaborationEvent):
    """A shop opened a collaboration (open, or targeted with the invites it could make)."""

    kind: CollaborationKind
    commission_rate_bps: int
    product_ids: list[str]
    all_products: bool
    invited_creator_ids: list[str]


@event_type("collaboration.rate_changed")
class CollaborationRateChanged(CollaborationEvent):
    """A collaboration's rate changed: increases apply to members at once, decreases when their lock ends."""

    old_rate_bps: int
    new_rate_bps: int


@event_type("collaboration.ended")
class CollaborationEnded(CollaborationEvent):
    """A shop ended a collaboration: sales are attributed until the next midnight in the market's timezone."""

    attribution_ends_at: Instant


@event_type("collaboration.member_joined")
class CollaborationMemberJoined(CollaborationEvent):
    """A creator joined (or asked to join, pending the shop's approval) a collaboration."""

    creator_id: str
    status: MemberStatus = Field(description="joined or pending_approval")
    commission_rate_bps: int
    locked_until: Instant | None = Field(description="until when the rate is locked against decreases")


class MemberRateEvent(CollaborationEvent):
    creator_id: str
    commission_rate_bps: int = Field(description="the member's rate now")
    new_rate_bps: int | None = Field(None, description="the decreased rate waiting for the lock's end")
    applies_at: Instant | None = None


@event_type("collaboration.rate_decrease_scheduled")
class RateDecreaseScheduled(MemberRateEvent):
    """A rate decrease reaches a locked member only when their lock ends, at `applies_at`."""


@event_type("collaboration.rate_decrease_reminder")
class RateDecreaseReminder(MemberRateEvent):
    """A scheduled rate decrease applies in 2 days or less."""


@event_type("collaboration.rate_decrease_applied")
class RateDecreaseApplied(MemberRateEvent):
    """A member's lock ended: the decreased rate is theirs now."""


@event_type("showcase.product_added")
class ShowcaseProductAdded(EventPayload):
    """A creator added a product to their showcase."""

    creator_id: str
    product_id: str
    market: str


@event_type("content.registered")
class ContentRegistered(EventPayload):
    """A creator registered a shoppable video or post."""

    content_id: str
    creator_id: str
    kind: ContentKind
    product_ids: list[str]
    market: str


class CommissionEvent(EventPayload):
    commission_id: str
    creator_id: str
    order_id: str
    order_line_id: str
    shop_id: str
    market: str
    status: CommissionStatus = Field(description="the commission's status after this event")
    amount: int = Field(description="minor units")
    currency: str
    commission_rate_bps: int


@event_type("commission.created")
class CommissionCreated(CommissionEvent):
    """An attributed order line was paid: its commission is pending (or ineligible, with the reason)."""

    ineligible_reason: str | None = None


@event_type("commission.reduced")
class CommissionReduced(CommissionEvent):
    """A partial refund reduced a commission pro rata."""

    previous_amount: int


@event_type("commission.reversed")
class CommissionReversed(CommissionEvent):
    """The order was cancelled or fully refunded: the commission is void."""

    previous_amount: int | None = None
    reason: str | None = None


@event_type("commission.settleable")
class CommissionSettleable(CommissionEvent):
    """The hold after delivery is over: the commission goes on the creator's next statement."""


@event_type("commission.frozen")
class CommissionFrozen(CommissionEvent):
    """An operator froze a commission (suspected fraud): it stays out of settlement until unfrozen."""

    reason: str
    actor: str


@event_type("commission.unfrozen")
class CommissionUnfrozen(CommissionEvent):
    """An operator unfroze a commission."""

    reason: str
    actor: str


@event_type("statement.closed")
class StatementClosed(EventPayload):
    """A creator's statement for a period closed: paid out when at least the minimum payout, else carried."""

    statement_id: str
    creator_id: str
    market: str
    currency: str
    period_start: Instant
    period_end: Instant
    total: int
    paid_out: int
    carried_out: int
