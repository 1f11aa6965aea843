from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from marketcast.core.events import EventType

# "*", an exact type ("market.launch_rescheduled") or a prefix ("market.*").
EVENT_PATTERN = r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$"
EventPattern = Annotated[str, StringConstraints(pattern=EVENT_PATTERN, max_length=80)]
EventTypes = Annotated[list[EventPattern], Field(min_length=1, max_length=50)]


class SubscriptionStatus(StrEnum):
    """Disabled subscriptions receive nothing (a 410 answer disables one; `disabled_reason` says why)."""

    ACTIVE = "active"
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    """A delivery waits, is being sent, was delivered, or failed after its last retry."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, pattern=r"^https?://", description="http or https URL that receives POSTs")
    event_types: EventTypes = Field(description='Exact types, prefixes such as "market.*", or "*"')
    description: str | None = Field(default=None, max_length=500)


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_types: EventTypes | None = None
    status: SubscriptionStatus | None = None


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    event_types: list[str]
    description: str | None
    status: SubscriptionStatus
    disabled_reason: str | None
    created_at: datetime
    created_by: str


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="Signing secret (Standard Webhooks whsec_ format); shown only in this answer")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut]


class EventTypeOut(BaseModel):
    name: str = Field(description='The event type, as subscriptions name it ("order.paid")')
    description: str
    payload_schema: dict[str, Any] = Field(description="JSON Schema of the event's `data`")

    @classmethod
    def of(cls, event: EventType) -> "EventTypeOut":
        return cls(name=event.name, description=event.description, payload_schema=event.model.model_json_schema())


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    type: str
    occurred_at: datetime
    market: str | None
    data: dict[str, Any]
    dispatched: bool
