"""What the live area announces: sessions scheduled, started, ended or cancelled, and each move of a flash deal.
Room messages (pin, units left, the purchase ticker) go to the realtime rooms, not to webhooks."""

from pydantic import Field

from marketcast.core.events import EventPayload, Instant, event_type


class SessionEvent(EventPayload):
    session_id: str
    market: str
    host_kind: str = Field(description="shop or creator")
    shop_id: str | None
    creator_id: str | None


@event_type("live.session_scheduled")
class SessionScheduled(SessionEvent):
    """A LIVE session was scheduled by its host."""

    title: str
    scheduled_start: Instant


@event_type("live.session_started")
class SessionStarted(SessionEvent):
    """A LIVE session went live (its bag holds at least one product)."""

    started_at: Instant
    bag_size: int


@event_type("live.session_ended")
class SessionEnded(SessionEvent):
    """A LIVE session ended; its deals that had not ended ended with it."""

    ended_at: Instant


@event_type("live.session_cancelled")
class SessionCancelled(SessionEvent):
    """A scheduled LIVE session was cancelled before it went live."""


class DealEvent(EventPayload):
    deal_id: str
    session_id: str
    shop_id: str
    market: str
    sku_id: str
    status: str


@event_type("live.deal_created")
class DealCreated(DealEvent):
    """A flash deal was made: its allotment was taken from the SKU's stock."""

    deal_price: int
    currency: str
    allotment: int
    per_buyer_limit: int
    starts_at: Instant | None = Field(description="when its countdown starts, if scheduled")


@event_type("live.deal_counting_down")
class DealCountingDown(DealEvent):
    """A flash deal's countdown started: it opens at `opens_at`."""

    opens_at: Instant
    ends_at: Instant


@event_type("live.deal_opened")
class DealOpened(DealEvent):
    """A flash deal opened for buying."""

    units_left: int
    ends_at: Instant


@event_type("live.deal_sold_out")
class DealSoldOut(DealEvent):
    """A flash deal's last unit was taken (units from unpaid orders may still come back while it runs)."""

    sold: int


@event_type("live.deal_ended")
class DealEnded(DealEvent):
    """A flash deal ended (its time was up, its session ended, or it never opened); its unsold units went back to
    the SKU's stock."""

    sold: int
    returned: int = Field(description="units given back to the SKU's available stock when it ended")
