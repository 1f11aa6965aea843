"""What the markets area announces. Waitlist notices go one per registrant, so a mailer can act on each."""

from pydantic import Field

from marketcast.core.events import EventPayload, Instant, event_type
from marketcast.markets.schemas import MarketStatus


@event_type("market.created")
class MarketCreated(EventPayload):
    """A market was created (planned, postponed or already live)."""

    market: str = Field(description="Market code (ISO 3166-1 alpha-2)")
    name: str
    currency: str
    timezone: str
    status: MarketStatus
    launch_window: str | None
    reason: str


@event_type("market.status_changed")
class MarketStatusChanged(EventPayload):
    """A market moved between planned, live, postponed and paused."""

    market: str
    from_status: MarketStatus = Field(alias="from")
    to: MarketStatus
    reason: str
    from_window: str | None
    launch_window: str | None


@event_type("market.rescheduled")
class MarketRescheduled(EventPayload):
    """A market's launch window changed (a postponed market with a new window is planned again)."""

    market: str
    old_window: str | None
    new_window: str | None
    reason: str
    from_status: MarketStatus
    status: MarketStatus


@event_type("market.launch_rescheduled")
class MarketLaunchRescheduled(EventPayload):
    """Notice to one waitlisted user that the launch window of their market changed."""

    market: str
    user_id: str
    email: str
    old_window: str | None
    new_window: str | None
    reason: str


@event_type("market.launched")
class MarketLaunched(EventPayload):
    """Notice to one waitlisted user, not yet told, that their market went live."""

    market: str
    user_id: str
    email: str
    old_window: str | None
    launched_at: Instant
