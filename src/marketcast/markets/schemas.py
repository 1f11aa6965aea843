"""What the markets API takes and gives. Launch windows arrive as text and are parsed by rules.py,
so a bad one answers with the stable code `invalid_launch_window`."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from marketcast.core.fields import Currency


class MarketStatus(StrEnum):
    """Where a market is in its life: onboarding, listing and checkout open only while it is live."""

    PLANNED = "planned"
    LIVE = "live"
    POSTPONED = "postponed"
    PAUSED = "paused"
    CLOSED = "closed"


class CreatableMarketStatus(StrEnum):
    """The statuses a market may be created in (it is paused or closed only once it exists)."""

    PLANNED = "planned"
    LIVE = "live"
    POSTPONED = "postponed"


class MarketEventKind(StrEnum):
    """What a line of a market's history records."""

    CREATED = "created"
    TRANSITION = "transition"
    RESCHEDULED = "rescheduled"


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
WindowText = Annotated[str, Field(max_length=16, examples=["2025-Q1", "2024-07", "2025-03-15"])]


class MarketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2 country code", examples=["ES"])
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    currency: Currency = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 currency code", examples=["EUR"])
    timezone: str = Field(min_length=1, max_length=64, description="IANA time zone", examples=["Europe/Madrid"])
    launch_window: WindowText | None = None
    status: CreatableMarketStatus = CreatableMarketStatus.PLANNED
    reason: Reason = "created"


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: MarketStatus
    reason: Reason
    launch_window: WindowText | None = Field(
        None, description="only when going from postponed back to planned: the new launch window")


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    launch_window: WindowText | None = Field(description="the new window, or null for 'no date yet'")
    reason: Reason


class MarketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    currency: str
    timezone: str
    status: MarketStatus
    launch_window: str | None
    window_start: date | None
    launched_at: datetime | None
    created_at: datetime
    updated_at: datetime
    waitlist_count: int | None = None
    overdue: bool = Field(False, description="still planned after the last day of its launch window")


class MarketEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: MarketEventKind
    from_status: MarketStatus | None
    to_status: MarketStatus
    from_window: str | None
    to_window: str | None
    reason: str
    actor_email: str
    at: datetime


class HistoryOut(BaseModel):
    items: list[MarketEventOut]


class WaitlistEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    market: str
    user_id: str
    joined_at: datetime


class WaitlistOut(BaseModel):
    market: str
    count: int
    joined: bool = Field(description="whether the caller is on the waitlist (false when anonymous)")
